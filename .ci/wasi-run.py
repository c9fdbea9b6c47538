#!/usr/bin/env python3
"""Cargo's runner for wasm32-wasip1 and wasm32-wasip2 (`pip install wasmtime`).

Usage: wasi-run.py PROGRAM.wasm [ARGS...]. The program sees the host's
environment and one preopened directory, $TMPDIR (as the same path), so the
tests find their temporary directory by the usual rule; nothing else of the
host's file system is visible (the current directory is WASI's `/`, which is
not). Exits with the program's exit status, or 101 for a trap (a panic:
WASI programs abort).
"""
import os
import sys

import wasmtime
from wasmtime import component


def main() -> int:
    program = sys.argv[1]
    tmp = os.environ.get("TMPDIR")
    if not tmp:
        sys.exit("wasi-run.py: set TMPDIR: it is the one directory the program may use")
    wasi = wasmtime.WasiConfig()
    wasi.argv = [os.path.basename(program)] + sys.argv[2:]
    wasi.env = [(k, v) for k, v in os.environ.items()]
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    wasi.preopen_dir(tmp, tmp)
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    with open(program, "rb") as f:
        binary = f.read()
    try:
        if binary[4:8] == b"\x01\x00\x00\x00":  # a core module: WASI preview 1
            linker = wasmtime.Linker(engine)
            linker.define_wasi()
            module = wasmtime.Module(engine, binary)
            linker.instantiate(store, module).exports(store)["_start"](store)
        else:  # a component: WASI preview 2
            linker = component.Linker(engine)
            linker.add_wasip2()
            instance = linker.instantiate(store, component.Component(engine, binary))
            run = instance.get_export_index(store, "wasi:cli/run@0.2.0")
            if run is None:
                sys.exit("wasi-run.py: the component exports no wasi:cli/run@0.2.0")
            func = instance.get_func(store, instance.get_export_index(store, "run", run))
            return 0 if func(store).tag == "ok" else 1
    except wasmtime.ExitTrap as e:
        return e.code
    except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
        print(f"wasi-run.py: {program}: {e}", file=sys.stderr)
        return 101  # what a panic gives on other targets
    return 0


if __name__ == "__main__":
    sys.exit(main())
