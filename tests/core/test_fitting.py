"""The one token-fitting search."""
import pytest

from repowiki_gui.core.fitting import largest_fitting


@pytest.mark.parametrize("n_max, limit", [(0, 0), (1, 0), (1, 1), (10, 0), (10, 3), (10, 10), (10, 99), (1000, 617)])
def test_the_largest_k_that_fits_with_few_calls(n_max, limit):
    calls = []

    def fits(k):
        calls.append(k)
        return k <= limit

    assert largest_fitting(n_max, fits) == min(n_max, limit)
    assert len(calls) <= max(1, n_max).bit_length() + 1 and 0 not in calls
