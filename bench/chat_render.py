"""What rendering a streamed answer costs the UI thread (DESIGN: no stall > 50 ms).

Streams a long Markdown answer (prose, lists, a 40-line code block, citations)
into an offscreen Transcript in 20-character pieces, one flush per piece, as the
50 ms timer does while tokens arrive. Measures each flush two ways in the same
run: the transcript's own path (only the last unfinished block is rendered
again) and the baseline that renders the whole answer so far on every flush.
Prints p50, p90 and max per flush for both, their ratios, and the final render
of the finished answer. The largest flush is the one that closes a code block
(it is coloured then, plain while it grows); on a loaded machine every figure
grows alike, which is why the baseline runs in the same process.

    python bench/chat_render.py [--repeat 3] [--piece 20]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

PARAGRAPH = ("The handler checks the **signature** with `hmac.compare_digest` [1], then dispatches the event "
             "to the [webhook view](src/webhooks.py#L10-L40) [2].\n\n")
CODE = "```python\n" + "def verify(payload, sig):\n    return hmac.compare_digest(payload, sig)  # why\n" * 20 + "```\n\n"
LIST = "- it reads the payload\n- it checks the signature\n  - in constant time\n\n"
REFS = [{"path": f"src/m{n}.py", "start_line": 1, "end_line": 9, "symbol": "", "kind": "code"} for n in range(5)]


def answer(repeat: int) -> str:
    return (PARAGRAPH * 4 + LIST + CODE) * repeat


def stream(transcript, text: str, piece: int, whole: bool, app) -> list[float]:
    transcript.clear_turns()
    transcript.begin_turn("demo", "how is the webhook verified?")
    transcript.show_sources(REFS)
    times = []
    for i in range(0, len(text), piece):
        transcript._pending += text[i:i + piece]
        start = time.perf_counter()
        if whole:   # the baseline: everything so far, every time
            transcript._streamed += transcript._pending
            transcript._pending = ""
            transcript._render(transcript._streamed, 0)
        else:
            transcript._flush_stream()
        app.processEvents()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def summary(times: list[float]) -> str:
    return f"p50 {times[len(times) // 2]:.1f} ms, p90 {times[int(len(times) * 0.9)]:.1f} ms, max {times[-1]:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="copies of the answer's sections")
    parser.add_argument("--piece", type=int, default=20, help="characters per flush")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    from repowiki_gui.ui.transcript import Transcript

    transcript = Transcript()
    transcript.resize(900, 700)
    transcript.show()
    text = answer(args.repeat)
    ours = stream(transcript, text, args.piece, False, app)
    baseline = stream(transcript, text, args.piece, True, app)
    start = time.perf_counter()
    transcript.finish_answer(text, REFS)
    app.processEvents()
    final = (time.perf_counter() - start) * 1000
    print(f"answer: {len(text)} characters, {len(ours)} flushes of {args.piece}")
    print(f"last block again (the transcript): {summary(ours)}")
    print(f"whole answer again (baseline):     {summary(baseline)}")
    p90 = int(len(ours) * 0.9)
    print(f"baseline / ours: p90 {baseline[p90] / max(ours[p90], 1e-6):.1f}x, max {baseline[-1] / max(ours[-1], 1e-6):.1f}x")
    print(f"final render of the finished answer: {final:.1f} ms")


if __name__ == "__main__":
    main()
