"""What every benchmark keeps of one run (issue #11: a figure quoted in the docs comes from a committed output of one run).

`Record` tees what a benchmark prints and, when it finishes, writes two files:

- `OUT.csv`: the benchmark's table, unrounded, one row per measurement;
- `OUT.txt`: where and how it ran (date, command line, code version, CPU, GPU, library versions, threads, the load
  and the other busy processes at start and end, CPU against wall time, peak memory), then everything it printed.

`OUT` defaults to `benchmarks/results/<benchmark>`; each benchmark's `--out` changes it. Nothing is written when a
run fails, so a results file is always one whole run.
"""
from __future__ import annotations
import datetime, importlib.metadata, io, os, platform, resource, shlex, subprocess, sys, time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent/'results'
ROOT = RESULTS.parent.parent
_ENV = ('WASTE_CBAM_DATA', 'WASTE_CBAM_CACHE', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'CUDA_VISIBLE_DEVICES')

def default_out(name:str) -> str:
    "The default results prefix of benchmark `name`: benchmarks/results/<name> (writes .csv and .txt)."
    return str(RESULTS/name)

def cpu_model() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or platform.machine()

def git_state() -> str:
    "HEAD commit, and whether the library or the benchmarks differ from it (the figures belong to that code)."
    try:
        git = lambda *a: subprocess.run(['git', *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        head = git('rev-parse', '--short', 'HEAD') or 'unknown'
        dirty = git('status', '--porcelain', '--', 'waste_cbam', 'benchmarks/*.py')
        return head + (' (waste_cbam/ or benchmarks/ modified in the working tree)' if dirty else '')
    except OSError: return 'unknown'

def busy_processes() -> str:
    "The other busiest processes (name and CPU share over their lifetime, as ps reports it)."
    try:
        out = subprocess.run(['ps', '-eo', 'pid,pcpu,comm', '--sort=-pcpu'], capture_output=True, text=True).stdout
        rows = [l.split(None, 2) for l in out.splitlines()[1:]]
        return ', '.join(f"{c} {p}%" for i, p, c in rows if int(i) != os.getpid() and float(p) >= 5) or 'none above 5%'
    except (OSError, ValueError): return 'unknown'

def _load() -> str:
    try: return ' '.join(f'{v:.2f}' for v in os.getloadavg())
    except OSError: return 'unknown'

def _versions() -> str:
    out = [f'python {platform.python_version()}']
    for p in ('torch', 'torchvision', 'timm', 'numpy', 'pillow', 'pandas', 'waste_cbam'):
        try: out.append(f'{p} {importlib.metadata.version(p)}')
        except importlib.metadata.PackageNotFoundError: pass
    return ', '.join(out)

def _devices() -> tuple[str, str]:
    "(CPU line, GPU line)"
    import torch
    try: cores = len(os.sched_getaffinity(0))
    except AttributeError: cores = os.cpu_count()
    try:
        from waste_cbam.trainer import cpu_bf16_native
        bf16 = cpu_bf16_native()
    except Exception: bf16 = 'unknown'
    cpu = f"{cpu_model()} ({cores} cores usable of {os.cpu_count()}, bf16 native: {bf16}) | {platform.platform()}"
    gpu = (', '.join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
           if torch.cuda.is_available() else 'none')
    return cpu, gpu

class _Tee(io.TextIOBase):
    "Writes to `stream` and keeps a copy."
    def __init__(self, stream): self.stream, self.copy = stream, io.StringIO()
    def write(self, s):
        self.stream.write(s); self.copy.write(s); return len(s)
    def flush(self): self.stream.flush()

class Record:
    "Keep what a benchmark prints; `save` writes its table and the run's record. Use as `with Record(...) as rec:`."
    def __init__(self, name:str, # the benchmark, e.g. 'model_speed'
                 out:str|None=None, # prefix of the files written (default benchmarks/results/<name>)
                 what:str='', # one line: what the benchmark measures
                ):
        self.name, self.out, self.what = name, Path(out or default_out(name)), what
        if self.out.suffix in ('.csv', '.txt'): self.out = self.out.with_suffix('')   # --out x.csv: x.csv and x.txt

    def __enter__(self):
        self.start, self.t0, self.cpu0 = datetime.datetime.now(), time.perf_counter(), os.times()
        self.load0, self.busy0 = _load(), busy_processes()
        self.code = git_state()   # at the start: the code that ran (files edited during a long run change nothing)
        self.tee = _Tee(sys.stdout); sys.stdout = self.tee
        return self

    def __exit__(self, *exc):
        sys.stdout = self.tee.stream

    def save(self, table, # the benchmark's table: a DataFrame or a list of dicts (one row each)
             **facts):    # further settings of this run worth recording (data folder, images, ...)
        "Write OUT.csv (the table) and OUT.txt (the record of the run and everything printed); return both paths."
        import pandas as pd, torch
        df = table if isinstance(table, pd.DataFrame) else pd.DataFrame(list(table))
        wall, c = time.perf_counter() - self.t0, os.times()
        cpu_s = (c.user - self.cpu0.user) + (c.system - self.cpu0.system)
        child_s = (c.children_user - self.cpu0.children_user) + (c.children_system - self.cpu0.children_system)
        cpu_line, gpu_line = _devices()
        env = ', '.join(f'{k}={os.environ[k]}' for k in _ENV if k in os.environ) or 'none of ' + ', '.join(_ENV)
        head = [f"# {self.name}: {self.what}" if self.what else f"# {self.name}",
                f"# command: {shlex.join(['python', *sys.argv])}",
                f"# environment: {env}",
                f"# date: {self.start.isoformat(timespec='seconds')} to "
                f"{datetime.datetime.now().isoformat(timespec='seconds')} ({wall:.0f} s)",
                f"# code: {self.code} at the start" + ('' if git_state() == self.code else f"; {git_state()} at the end"),
                f"# CPU: {cpu_line}",
                f"# GPU: {gpu_line}",
                f"# software: {_versions()}",
                f"# torch threads: {torch.get_num_threads()} intra-op, {torch.get_num_interop_threads()} inter-op",
                *[f"# {k}: {v}" for k, v in facts.items()],
                f"# load average (1/5/15 min) at start: {self.load0}; at end: {_load()}",
                f"# other busy processes at start: {self.busy0}",
                f"# other busy processes at end: {busy_processes()}",
                f"# CPU time: {cpu_s:.0f} s in this process, {child_s:.0f} s in its child processes, over {wall:.0f} s "
                f"of wall time" + (" (well below threads x wall time: the run waited for the CPU, or for loader processes)"
                                   if cpu_s + child_s < 0.8 * torch.get_num_threads() * wall else ""),
                f"# peak resident memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB",
                f"# {self.out.with_suffix('.csv').name}: the table below, unrounded",
                "", "# what the run printed:"]
        self.out.parent.mkdir(parents=True, exist_ok=True)
        csv, txt = self.out.with_suffix('.csv'), self.out.with_suffix('.txt')
        df.to_csv(csv, index=False)
        txt.write_text('\n'.join(head) + '\n' + self.tee.copy.getvalue())
        print(f"wrote {csv} and {txt}")
        return csv, txt
