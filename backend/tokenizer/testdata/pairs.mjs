// Writes testdata/pairs.json: reference pair encodings made by the Hugging
// Face tokenizers library (npm @anush008/tokenizers@0.6.0) with the
// all-MiniLM-L6-v2 tokenizer. Run: node pairs.mjs SHARED_DIR pairs.json.
// Texts are named, not copied: "q:ID" and "d:ID" are NFCorpus queries and
// documents (title, a newline, text), "g:N" is text N of
// synthetic-bert-tiny/golden.json.
import { Tokenizer } from '@anush008/tokenizers';
import { readFileSync, writeFileSync } from 'node:fs';
const shared = process.argv[2];
const t = Tokenizer.fromFile(`${shared}/models/all-MiniLM-L6-v2/tokenizer.json`);
t.disablePadding();
const lines = (p, n) => readFileSync(p, 'utf8').split('\n').filter(Boolean).slice(0, n).map(JSON.parse);
const text = {};
for (const q of lines(`${shared}/datasets/beir/nfcorpus/queries.jsonl`, 6)) text['q:' + q._id] = q.text;
for (const d of lines(`${shared}/datasets/beir/nfcorpus/corpus.jsonl`, 4)) text['d:' + d._id] = d.title + '\n' + d.text;
JSON.parse(readFileSync(`${shared}/models/synthetic-bert-tiny/golden.json`, 'utf8')).texts.forEach((s, i) => { text['g:' + i] = s; });
text[''] = '';
const qs = Object.keys(text).filter(k => k.startsWith('q:'));
const ds = Object.keys(text).filter(k => k.startsWith('d:'));
const gs = Object.keys(text).filter(k => k.startsWith('g:'));
const pairs = qs.map((q, i) => [q, ds[i % ds.length]]);
for (let i = 0; i + 1 < gs.length; i += 2) pairs.push([gs[i], gs[i + 1]]);
pairs.push([ds[0], qs[0]], [ds[1], ds[2]], ['', ds[3]], [qs[1], '']);
const cases = [];
for (const max of [9, 10, 16, 17, 48, 512]) {
  t.setTruncation(max, { strategy: 'LongestFirst' });
  for (const [a, b] of pairs) {
    const e = await t.encode(text[a], text[b]);
    cases.push({ max_length: max, a, b, ids: e.getIds(), type_ids: e.getTypeIds() });
  }
}
writeFileSync(process.argv[3], JSON.stringify({ tokenizer: 'all-MiniLM-L6-v2/tokenizer.json', truncation: 'longest_first', cases }));
console.log(cases.length, 'cases');
