"""Inference latency, throughput and memory of a trained run (or a fresh CBAM-ResNet) in every setting this machine has.

Thin wrapper around `waste_cbam.evaluation.speed_table`: on the CPU fp32 (NCHW and channels-last) and bf16 autocast
where the CPU has native bf16; on a CUDA GPU also fp32 and fp16 autocast with channels-last. Run it alone on the
machine: other busy processes distort the timings.

Writes the table (unrounded) to benchmarks/results/inference_speed.csv and the run's record (machine, versions,
threads, load, command line, everything printed) to benchmarks/results/inference_speed.txt; `--out` changes where.

    python benchmarks/inference_speed.py runs/cbam_resnet18_cpu             # the run's own input size
    python benchmarks/inference_speed.py --depth 50 --img_size 224 --threads 2 --out /tmp/speed   # /tmp/speed.{csv,txt}
"""
from __future__ import annotations
import argparse, datetime, platform, sys
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import Record, default_out

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('run_dir', nargs='?', help='a run folder (default: an untrained CBAM-ResNet of --depth)')
    p.add_argument('--depth', type=int, default=18, help='ResNet depth without a run folder')
    p.add_argument('--img_size', type=int, default=None, help='input side, px (default: the run\'s, else 224)')
    p.add_argument('--threads', type=int, default=None, help='CPU threads (default: as torch sets them)')
    p.add_argument('--repeats', type=int, default=50, help='timed batch-1 passes')
    p.add_argument('--batches', type=int, default=5, help='timed batches per batch size')
    p.add_argument('--out', default=default_out('inference_speed'),
                   help='writes OUT.csv (the table) and OUT.txt (the record of the run)')
    a = p.parse_args(argv)
    with Record('inference_speed', a.out, __doc__.split('\n')[0]) as rec:
        from waste_cbam.evaluation import speed_table
        if a.run_dir: source, size = a.run_dir, a.img_size
        else:
            from waste_cbam.resnet import cbam_resnet
            source, size = cbam_resnet(a.depth, 2).eval(), a.img_size or 224
        t = speed_table(source, img_size=size, repeats=a.repeats, batches=a.batches, threads=a.threads)
        print(f"# {datetime.datetime.now():%Y-%m-%d %H:%M}, torch {torch.__version__}, {platform.platform()}")
        print(f"# {t.device_name.iloc[0]}; memory: {t.memory.iloc[0]}")
        print(t.drop(columns=['device_name', 'memory']).round(2).to_markdown(index=False) if _has_tabulate()
              else t.drop(columns=['device_name', 'memory']).round(2).to_string(index=False))
        rec.save(t, model=a.run_dir or f'untrained CBAM-ResNet-{a.depth} (no run folder)', input=f'{t.img_size.iloc[0]} px',
                 repeats=f'{a.repeats} timed batch-1 passes, {a.batches} timed batches per batch size')

def _has_tabulate():
    try: import tabulate; return True
    except ImportError: return False

if __name__ == '__main__': main()
