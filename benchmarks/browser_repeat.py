"""Run chapter 09's browser test many times in a row, to show that it does not flake.

Usage: WASTE_CBAM_DATA=... python benchmarks/browser_repeat.py [--runs 20] [--out PREFIX]

Executes the unflagged cells of nbs/09_app.ipynb once, up to the cell that launches the demo (the two small runs
and everything the browser test compares against), then, `--runs` times: the launch cell (a fresh server on a free
port, the gradio_client checks) and the browser cell (a fresh headless Chromium: upload, Classify, labels,
pixel-equal pictures, the error message), exactly as the notebook has them. One row per run: passed or not,
seconds, the load average, the error. Writes benchmarks/results/browser_20x.csv (the rows) and .txt (machine,
Chromium version, load, everything printed); --out changes where. Exits non-zero when a run failed."""
import argparse, json, os, subprocess, sys, time, traceback
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import Record, ROOT

def cells(nb:Path)->list:
    "The code cells of a notebook, as sources."
    return [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']

def flagged(src:str)->bool:
    return any(l.strip() in ('#| slow', '#| cuda') for l in src.splitlines()[:3])

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--runs', type=int, default=20)
    ap.add_argument('--notebook', default=str(ROOT/'nbs'/'09_app.ipynb'))
    ap.add_argument('--out', default=None, help='writes OUT.csv and OUT.txt (default benchmarks/results/browser_20x)')
    a = ap.parse_args()
    src = cells(Path(a.notebook))
    launch = next(i for i, s in enumerate(src) if 'launch_demo(run, port' in s)
    browser = next(i for i, s in enumerate(src) if 'sync_playwright' in s and i > launch)
    browser_path = os.environ.get('WASTE_CBAM_BROWSER') or '/usr/bin/chromium'
    if not Path(browser_path).exists(): sys.exit(f"No browser at {browser_path}: apt install chromium, or set WASTE_CBAM_BROWSER.")
    os.environ['WASTE_CBAM_BROWSER'] = browser_path   # the cell then fails rather than skips
    chromium = subprocess.run([browser_path, '--version'], capture_output=True, text=True).stdout.strip()
    with Record(f'browser_{a.runs}x', a.out, f"chapter 09's browser test, {a.runs} runs in a row") as rec:
        os.chdir(Path(a.notebook).parent)   # notebooks run from nbs/, as nbdev_test runs them
        ns = {'__name__': '__main__'}
        t0 = time.perf_counter()
        for s in src[:launch]:
            if not flagged(s) and not s.lstrip().startswith('show_doc'): exec(compile(s, a.notebook, 'exec'), ns)
        print(f"setup (cells before the launch cell): {time.perf_counter() - t0:.0f} s; {chromium}")
        rows = []
        for i in range(1, a.runs + 1):
            t, err = time.perf_counter(), ''
            try:
                for k in (launch, browser): exec(compile(src[k], f'{a.notebook} cell {k}', 'exec'), ns)
            except Exception as e:
                err = f"{type(e).__name__}: {e}"[:500]; traceback.print_exc()
                try: ns['demo'].close()
                except Exception: pass
            rows.append(dict(run=i, passed=not err, seconds=round(time.perf_counter() - t, 2), load1=os.getloadavg()[0], error=err))
            print(f"run {i:2d}: {'passed' if not err else 'FAILED'} in {rows[-1]['seconds']:.1f} s (load {rows[-1]['load1']:.2f}) {err}", flush=True)
        n_ok = sum(r['passed'] for r in rows)
        secs = sorted(r['seconds'] for r in rows)
        print(f"{n_ok} passed, {len(rows) - n_ok} failed; seconds per run: median {secs[len(secs) // 2]:.1f}, max {secs[-1]:.1f}")
        rec.save(rows, browser=chromium, runs=a.runs)
    sys.exit(0 if n_ok == len(rows) else 1)

if __name__ == '__main__': main()
