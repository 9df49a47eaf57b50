"""How fast is the synthetic suite? Generate 13 tasks x 200 questions at the default size.

Prints examples per second for generation, and for two alternatives measured in the same
run on the same examples: writing them to the folder format (PNG + parquet) and reading
that folder back through ``load_examples``. The ratios say whether generating on the fly
is cheaper than caching to disk.

    .venv/bin/python bench/synth_speed.py [--n 200] [--image-size 64]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from tasktransfer.data import load_examples
from tasktransfer.data.folder import write_folder
from tasktransfer.data.synthetic import TASKS, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="questions per task")
    parser.add_argument("--image-size", type=int, default=64)
    args = parser.parse_args()
    tasks = list(TASKS)
    total = len(tasks) * args.n

    start = time.perf_counter()
    per_task = {}
    data = {}
    for task in tasks:
        t0 = time.perf_counter()
        data[task] = generate(task, "val", args.n, image_size=args.image_size)
        per_task[task] = time.perf_counter() - t0
    generate_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        write_folder(folder, "val", data)
        write_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded = load_examples(folder, tasks, "val")
        read_s = time.perf_counter() - t0
    assert all(loaded[t] == data[t] for t in tasks), "round trip changed the examples"

    print(f"{len(tasks)} tasks x {args.n} questions, {args.image_size} px")
    for task, seconds in sorted(per_task.items(), key=lambda kv: -kv[1]):
        print(f"  {task:<27} {args.n / seconds:8.0f} examples/s")
    print(f"generate            {generate_s:6.2f} s  {total / generate_s:8.0f} examples/s")
    print(f"write folder (alt.) {write_s:6.2f} s  {total / write_s:8.0f} examples/s")
    print(f"read folder (alt.)  {read_s:6.2f} s  {total / read_s:8.0f} examples/s")
    print(f"ratio generate / write: {generate_s / write_s:.2f}x the time")
    print(f"ratio generate / read:  {generate_s / read_s:.2f}x the time")


if __name__ == "__main__":
    main()
