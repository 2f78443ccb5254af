"""What the tests share: fakes, sample repositories, job functions, crafted ZIPs, waiting.

``tests/`` is on the import path through pytest's ``pythonpath`` setting (``pyproject.toml``),
so a test writes ``from helpers.fakes import FakeGenerator``. The workers the tests start
are other processes: the ``home`` fixture puts ``tests/`` on their ``PYTHONPATH``, and they
import the job functions as ``helpers.jobfuncs.<name>``.
"""
