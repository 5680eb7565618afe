"""Static check (ast only, nothing is executed or imported) of the cells `nbdev_docs` executes.

nbdev 2's `exec_show_docs` runs, in a fresh kernel, only the cells it thinks `show_doc` needs: exported cells
(`export`, `exports`, `exporti`, `exec_doc`), cells with a top-level `show_doc(...)`, and every cell whose code holds an
import statement anywhere (even inside a function or a `try`). A test cell that imports something is therefore run
out of context. For each notebook this lists the non-exported cells that would run, and the names they load that
neither they nor any cell run before them binds; it also lists `#| slow` cells that hold an import.

    python tools/check_doc_cells.py [NOTEBOOK ...]            # default: nbs/*.ipynb; exit status 1 on a finding
    python tools/check_doc_cells.py --compare OLD_DIR NB ...  # where each name a cell loads is bound, OLD_DIR's copy -> NB

`--compare` checks an edit that moves imports: a name whose binding changed (e.g. an import moved to the top that a
later cell's definition now shadows) is printed.
"""
import ast, builtins, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXP = {'export', 'exports', 'exporti', 'exec_doc'}
BUILTINS = set(dir(builtins)) | {'display', 'get_ipython', 'In', 'Out', '_', 'exit', 'quit'}   # IPython's too

def directives(src):
    d = {}
    for l in src.splitlines():
        m = re.match(r'^\s*#\|\s*([\w-]+:?)\s*(.*)', l)
        if m: d[m.group(1)] = m.group(2).split()
    return d

def nbdev_parse(src):
    "What execnb's `NbCell.parsed_` gives: None where the cell starts with a magic or `!`, or does not parse."
    if src.strip()[:1] in ['%', '!']: return None
    try: return ast.parse(src).body
    except SyntaxError: return None

def loose_parse(src):
    "The cell's statements for the name analysis, magic and shell lines read as `pass`."
    try: return ast.parse('\n'.join(re.sub(r'^(\s*)[%!].*', r'\1pass', l) for l in src.splitlines())).body
    except SyntaxError: return []

_all = {}
def star_names(mod):
    "The names `from mod import *` binds, read from the module's source (its `__all__`), or None when not found."
    if mod in _all: return _all[mod]
    rel, res = mod.replace('.', '/'), None
    for base in [ROOT, *map(Path, filter(None, sys.path))]:
        for p in (base/f'{rel}.py', base/rel/'__init__.py'):
            if p.is_file():
                body = ast.parse(p.read_text(encoding='utf-8')).body
                for n in body:
                    if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '__all__' for t in n.targets):
                        try: res = list(ast.literal_eval(n.value))
                        except ValueError: pass
                if res is None: res = [n for n, _ in top_bindings(body) if not n.startswith('_')]
                break
        if res is not None: break
    _all[mod] = res
    return res

def _targets(t):
    if isinstance(t, ast.Name): yield t.id
    elif isinstance(t, (ast.Tuple, ast.List)):
        for e in t.elts: yield from _targets(e)
    elif isinstance(t, ast.Starred): yield from _targets(t.value)

def top_bindings(body):
    "(name, what) bound at module level by `body`, in order; what is ('imp', module, name or None) or ('def',)."
    out = []
    def stmt(s):
        if isinstance(s, ast.Import):
            for a in s.names:
                out.append((a.asname, ('imp', a.name, None)) if a.asname else (a.name.split('.')[0], ('imp', a.name.split('.')[0], None)))
        elif isinstance(s, ast.ImportFrom):
            mod = '.' * s.level + (s.module or '')
            for a in s.names:
                if a.name != '*': out.append((a.asname or a.name, ('imp', mod, a.name)))
                elif (names := star_names(mod)) is None: out.append((f'*{mod}', ('imp', mod, '*')))
                else: out.extend((n, ('imp', mod, n)) for n in names)
        elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): out.append((s.name, ('def',))); return
        elif isinstance(s, ast.Assign):
            for t in s.targets: out.extend((n, ('def',)) for n in _targets(t))
        elif isinstance(s, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)): out.extend((n, ('def',)) for n in _targets(s.target))
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            for it in s.items:
                if it.optional_vars is not None: out.extend((n, ('def',)) for n in _targets(it.optional_vars))
        for c in getattr(s, 'body', []) or []: stmt(c)
        for h in getattr(s, 'handlers', []) or []:
            if h.name: out.append((h.name, ('def',)))
            for c in h.body: stmt(c)
        for part in ('orelse', 'finalbody'):
            for c in getattr(s, part, []) or []: stmt(c)
    for s in body:
        stmt(s)
        out.extend((n.target.id, ('def',)) for n in ast.walk(s) if isinstance(n, ast.NamedExpr))
    return out

def loads_and_binds(body):
    "Names loaded anywhere in the cell, and names bound anywhere in it (scope-blind: a local counts as bound)."
    loads, binds = set(), set()
    for t in body:
        for n in ast.walk(t):
            if isinstance(n, ast.Name): (loads if isinstance(n.ctx, ast.Load) else binds).add(n.id)
            elif isinstance(n, ast.arg): binds.add(n.arg)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): binds.add(n.name)
            elif isinstance(n, ast.ExceptHandler) and n.name: binds.add(n.name)
            elif isinstance(n, (ast.Global, ast.Nonlocal)): binds.update(n.names)
    return loads, binds

def local_imports(body):
    "Names imported inside functions (their locals)."
    return {a.asname or a.name.split('.')[0] for t in body for f in ast.walk(t) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
            for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}

def cells_of(path):
    res = []
    for i, c in enumerate(json.loads(Path(path).read_text(encoding='utf-8'))['cells']):
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source']); body = loose_parse(src)
        res.append(dict(idx=i, id=c.get('id'), src=src, d=directives(src), nbdev=nbdev_parse(src), body=body, binds=top_bindings(body)))
    return res

def _imports(trees): return any(isinstance(n, (ast.Import, ast.ImportFrom)) for t in trees for n in ast.walk(t))
def _show_docs(trees): return any(isinstance(t, ast.Expr) and isinstance(t.value, ast.Call) and isinstance(t.value.func, ast.Name)
                                  and t.value.func.id == 'show_doc' for t in trees)

def why_run(c):
    "Why nbdev 2.4's `_do_eval` executes the cell, or None."
    t = c['nbdev']
    if not c['src'] or 'nbdev_export' + '()' in c['src'] or not t: return None
    if c['d'].get('eval:', [''])[0].lower() == 'false': return None
    if c['d'].keys() & EXP: return 'exported'
    if _imports(t): return 'import'
    if _show_docs(t): return 'show_doc'

def has_docs(cells):
    "nbdev's `nb.has_docs_`: without it `exec_show_docs` runs nothing."
    return any(c['src'] and c['d'].keys() & {'export', 'exports', 'exec_doc'} and 'hide' not in c['d'] and c['d'].get('include:') != ['false']
               for c in cells) or any(_show_docs(c['nbdev'] or []) for c in cells)

def check(path):
    "Print the cells the docs build executes (besides exported ones) and what they miss; the number of problems."
    cells, problems = cells_of(path), 0
    print(f'== {Path(path).name}')
    for c in cells:
        if 'slow' in c['d'] and _imports(c['body']):
            print(f"   [{c['idx']}] {c['id']} `#| slow` cell with an import: the docs build runs it"); problems += 1
    if not has_docs(cells): print('   no exported cell and no show_doc: exec_show_docs runs nothing'); return problems
    env = {'show_doc'}
    for c in cells:
        why = why_run(c)
        if not why: continue
        if why != 'exported':
            loads, binds = loads_and_binds(c['body'])
            missing = sorted(loads - binds - {n for n, _ in c['binds']} - env - BUILTINS)
            stars = sorted(n[1:] for n in env if n.startswith('*'))   # modules whose source was not found (run with the project's python)
            print(f"   [{c['idx']}] {c['id']} {'hide ' if 'hide' in c['d'] else ''}{why}: " + (f'NOT DEFINED {missing}' if missing else 'ok')
                  + (f' (unless from `from {stars} import *`)' if missing and stars else ''))
            problems += bool(missing)
        env |= {n for n, _ in c['binds']}
    return problems

def bindings(path):
    "(cell id, name the cell loads and does not bind in it) -> the import or the cell that binds it, the cells run in order."
    res, last = {}, {}
    for c in cells_of(path):
        loads, binds = loads_and_binds(c['body'])
        own = {n: (k if k[0] == 'imp' else ('def', c['id'])) for n, k in c['binds']}
        for n in loads - binds - local_imports(c['body']): res[(c['id'], n)] = own[n] if n in own else last.get(n)
        last.update(own)
    return res

if __name__ == '__main__':
    args = sys.argv[1:]
    if args[:1] == ['--compare']:
        changed = 0
        for p in args[2:]:
            a, b = bindings(Path(args[1])/Path(p).name), bindings(p)
            diffs = [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
            print(f'== {Path(p).name}: ' + ('bindings unchanged' if not diffs else f'{len(diffs)} bindings changed'))
            for (cid, n), x, y in diffs: print(f'   {n!r} in cell {cid}: {x} -> {y}')
            changed += len(diffs)
        sys.exit(bool(changed))
    n = sum(check(p) for p in (args or sorted(map(str, (ROOT/'nbs').glob('*.ipynb')))))
    print(f'\n{n} problem(s)')
    sys.exit(bool(n))
