"""Inputs for the YAML parser's differential check (scripts/yaml-differential.sh), seeded:
spec files of a generated corpus, mutations of them (deleted bytes, inserted YAML tokens, repeated
runs), token soup, maps with duplicate, canonically equal, non-string, anchored, aliased and merged
keys, deep nests and alias fan-outs.

    gen.py <corpus-dir> <out-dir>
"""
import random, pathlib, sys
random.seed(20261130)
out = pathlib.Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
specs = sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml'))
n = 0
def w(data):
    global n
    if isinstance(data, str): data = data.encode('utf-8', 'surrogatepass')
    (out / f'{n:05d}.yaml').write_bytes(data); n += 1
tokens = ["- ", ": ", "? ", "&a ", "*a", "&b ", "*b", "!!str ", "!!int ", "!!map ", "!!seq ", "!!float ", "!!bool ", "!!null ", "!tag ", "!<x> ", "[", "]", "{", "}",
  ", ", "|", ">", "|-", ">+", "|2", "'", "\"", "#", "---\n", "...\n", "%YAML 1.2\n", "%TAG ! tag:x,2024:\n",
  "\n", "  ", "    ", "\t", "key", "1", "~", "<<: *a", "<<", "\ufeff", "\\", "\x00", "\r\n", "é", "😀", "null",
  "0x1F", ".inf", "\"\\u", "'''", "@", "`", "%", "K", "\u212a", "true", "1.5", "-0", "0o17", "abcdefghijklmnopqrstuvwxyz", "a.b.c.d.e.f.g.h.i"]
for f in specs[::4]: w(f.read_bytes())
for i in range(1300):
    data = bytearray(random.choice(specs).read_bytes())
    for _ in range(random.randint(1, 5)):
        p = random.randrange(len(data) + 1); r = random.random()
        if r < 0.3 and data: del data[p:p + random.randint(1, 4)]
        elif r < 0.7: data[p:p] = random.choice(tokens).encode('utf-8', 'surrogatepass')
        else:
            seg = data[p:p + random.randint(1, 30)]; data[p:p] = seg * random.randint(2, 5)
    w(bytes(data))
for i in range(700): w(''.join(random.choice(tokens) for _ in range(random.randint(1, 80))))
keys = ['a', 'b', 'K', '\u212a', 'k', 'é', 'e\u0301', '1', '01', 'true', 'yes', 'True', '1.0', '1.5', '~', 'null', '"a"', "'a'", '!!str 1', '!!int 1', '? a', 'abcdefghijklmnopq', 'abcdefghijklmnopq ', '"abcdefghijklmnopq"', 'x' * 40, '<<', '&k a', '*k', '0x10', '16', '.nan', '.inf', '-.inf', '1e3', '1000.0', '""', "''", 'a b']
vals = ['1', 'x', '*k', '&v 2', '*v', '{a: 1, b: 2}', '[1, 2]', '!!str 3', '~', '', '"s"', '*m', '&m {c: 3}', '[*m, *m]']
for i in range(900):
    lines = []
    if random.random() < 0.3: lines.append('base: &m {a: 1, b: 2, K: 3}')
    for j in range(random.randint(1, 40)):
        k = random.choice(keys); v = random.choice(vals)
        if k == '<<': v = random.choice(['*m', '[*m]', '{z: 1}', '1', '[1]'])
        lines.append(f'{k}: {v}')
    body = '\n'.join(lines) + '\n'
    if random.random() < 0.3: body = 'outer:\n' + ''.join('  ' + l + '\n' for l in body.splitlines())
    if random.random() < 0.2: body = body + '---\n' + body
    if random.random() < 0.2: body = '{' + ', '.join(body.strip().splitlines()) + '}\n'
    w(body)
for d in [3, 5, 6, 7, 8, 50]:
    w('[' * d + ']' * d); w(''.join('  ' * i + 'a:\n' for i in range(d)) + '  ' * d + '1\n')
w('a: &a [' + '*a, ' * 10 + ']\n')
w('l0: &l0 [x, x]\n' + ''.join(f'l{i}: &l{i} [' + ', '.join([f'*l{i-1}'] * 5) + ']\n' for i in range(1, 8)))
print(n)
