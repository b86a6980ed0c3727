"""Writes `Sources/hark/hark.order`, the function order lld lays hark's code out in (`make order`).

Linux maps a file's pages 64 KB at a time around each page a program touches, so code that one
run executes but that sits scattered among code it never calls costs resident memory out of all
proportion. lld places the functions listed in the order file first, in that order: what a
transcription executes then sits together (1.2 MB less peak RSS streaming to Deepgram, measured).

The list is what valgrind's callgrind saw executed in hark's own binary over a few everyday runs
against the local Deepgram fake. A stale list only loses some of the gain (names that no longer
exist are ignored), so rerun this after large changes:

    /usr/bin/python3 Benchmarks/hark_order_file.py      (needs valgrind and a release build)
"""

import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HARK = os.path.join(ROOT, ".build/release/hark")
OUTPUT = os.path.join(ROOT, "Sources/hark/hark.order")
SAMPLE = os.path.join(ROOT, "samples/sample.wav")


def start_fake(directory):
    fake = subprocess.Popen(
        ["/usr/bin/python3", os.path.join(ROOT, "Tests/Fakes/deepgram.py"), "--port", "0", "--record", directory],
        stdout=subprocess.PIPE, text=True)
    line = fake.stdout.readline().split()
    if len(line) != 2 or line[0] != "LISTENING":
        sys.exit("hark_order_file: the Deepgram fake did not start")
    return fake, "ws://127.0.0.1:" + line[1]


def executed_functions(profile, binary_name):
    """Function names of `binary_name` in a callgrind profile, in the order they first appear."""
    objects, functions, names = {}, {}, []
    seen = set()
    current_object = None

    def resolve(table, text):
        match = re.match(r"\((\d+)\)(?: (.*))?", text)
        if not match:
            return text
        if match.group(2) is not None:
            table[match.group(1)] = match.group(2)
        return table.get(match.group(1), "")

    with open(profile, errors="replace") as lines:
        for line in lines:
            line = line.rstrip("\n")
            if line.startswith("ob="):
                current_object = resolve(objects, line[3:])
            elif line.startswith("cob="):
                resolve(objects, line[4:])
            elif line.startswith("cfn="):
                resolve(functions, line[4:])
            elif line.startswith("fn="):
                # callgrind marks recursion levels with 'N; unnamed code shows as an address.
                name = re.sub(r"'\d+$", "", resolve(functions, line[3:]))
                if current_object and current_object.endswith(binary_name) and name and not name.startswith("0x"):
                    if name not in seen:
                        seen.add(name)
                        names.append(name)
    return names


def main():
    if not os.access(HARK, os.X_OK):
        sys.exit("hark_order_file: build the release binary first (swift build -c release --product hark)")
    with tempfile.TemporaryDirectory() as work:
        # valgrind cannot read lld's debug information; the symbol table is all it needs.
        binary = os.path.join(work, "hark-profiled")
        subprocess.run(["strip", "--strip-debug", "-o", binary, HARK], check=True)
        fake, endpoint = start_fake(os.path.join(work, "record"))
        wav48k = os.path.join(work, "sample-48k.wav")
        subprocess.run(["sox", SAMPLE, "-r", "48000", wav48k], check=True)
        stream = ["--provider", "deepgram", "--endpoint", endpoint, "--speed", "max"]
        runs = [
            stream + [SAMPLE],
            stream + ["--format", "jsonl", SAMPLE],
            stream + ["--vad", wav48k],
            ["--help"],
            ["providers"],
        ]
        order = []
        try:
            for index, arguments in enumerate(runs):
                profile = os.path.join(work, "callgrind.%d" % index)
                environment = dict(os.environ, DEEPGRAM_API_KEY="test-key")
                subprocess.run(
                    ["valgrind", "--tool=callgrind", "--demangle=no", "--callgrind-out-file=" + profile, binary]
                    + arguments, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
                for name in executed_functions(profile, "hark-profiled"):
                    if name not in order:
                        order.append(name)
        finally:
            fake.terminate()
    with open(OUTPUT, "w") as output:
        output.write("\n".join(order) + "\n")
    print("hark_order_file: %d functions written to %s" % (len(order), os.path.relpath(OUTPUT, ROOT)))


if __name__ == "__main__":
    main()
