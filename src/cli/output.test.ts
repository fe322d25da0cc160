import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  displayWidth,
  formatAge,
  formatDetails,
  formatLabels,
  formatList,
  formatTable,
  truncate,
  type Column,
} from './output.js';

interface Row {
  id: string;
  name: string;
}

const COLUMNS: Column<Row>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'NAME', value: (r) => r.name },
  { header: 'END', value: () => 'x' },
];

/** The column at which `text` starts in `line`, counted in display width. */
function columnOf(line: string, text: string): number {
  return displayWidth(line.slice(0, line.indexOf(text)));
}

describe('formatTable', () => {
  it('aligns columns by display width when cells hold wide CJK characters and emoji', () => {
    const out = formatTable(COLUMNS, [
      { id: 'a', name: '東京ノード' },
      { id: 'bb', name: 'edge' },
      { id: 'c', name: '🚀 rocket' },
    ]);
    const lines = out.trimEnd().split('\n');

    assert.equal(lines.length, 4);
    const headerEnd = columnOf(lines[0] ?? '', 'END');
    const rowEnds = lines.slice(1).map((line) => columnOf(line, 'x'));
    assert.deepEqual(rowEnds, [headerEnd, headerEnd, headerEnd]);
    assert.equal(headerEnd, 2 + 2 + displayWidth('東京ノード') + 2);
  });

  it('counts combining marks as zero width, so decomposed accents do not shift columns', () => {
    const decomposed = 'Cafe\u0301';
    const out = formatTable(COLUMNS, [
      { id: '1', name: decomposed },
      { id: '2', name: 'Café' },
    ]);
    const [, first = '', second = ''] = out.split('\n');

    assert.equal(displayWidth(decomposed), 4);
    assert.equal(columnOf(first, 'x'), columnOf(second, 'x'));
  });

  it('shows empty values as a dash and leaves no trailing spaces', () => {
    const out = formatTable(
      [
        { header: 'A', value: (r: Row) => r.id },
        { header: 'B', value: (r: Row) => r.name },
      ],
      [{ id: '', name: '' }],
    );

    assert.equal(out, 'A  B\n-  -\n');
  });

  it('replaces control characters so that a value cannot break lines or send escapes', () => {
    const out = formatTable(COLUMNS, [{ id: 'a', name: 'evil\n\u001b[31mred' }]);

    assert.equal(out.split('\n').length, 3);
    assert.ok(!out.includes('\u001b'));
    assert.match(out, /evil\?\?\[31mred/);
  });

  it('cuts cells longer than the column maximum with an ellipsis, by display width', () => {
    const out = formatTable(
      [{ header: 'N', value: (r: Row) => r.name, maxWidth: 6 }],
      [{ id: '', name: '日本語のテキスト' }],
    );

    assert.equal(out, 'N\n日本…\n');
  });
});

describe('formatList', () => {
  it('says so when the list is empty and adds the total on a paged answer', () => {
    assert.equal(formatList(COLUMNS, [], { empty: 'No supervisors.' }), 'No supervisors.\n');
    assert.equal(
      formatList(COLUMNS, [{ id: 'a', name: 'b' }], { empty: 'none', total: 7 })
        .split('\n')
        .at(-2),
      'total 7',
    );
  });
});

describe('the value formatters', () => {
  it('measures plain, wide and zero-width text', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('한국어'), 6);
    assert.equal(displayWidth('ＡＢ'), 4);
    assert.equal(displayWidth('a\u200Bb'), 2);
    assert.equal(displayWidth(''), 0);
  });

  it('truncates only what is too wide', () => {
    assert.equal(truncate('short', 10), 'short');
    assert.equal(truncate('abcdefgh', 5), 'abcd…');
  });

  it('renders labels sorted, with non-string values as JSON', () => {
    assert.equal(formatLabels({ zone: 'b', a: 1, list: ['x'] }), 'a=1,list=["x"],zone=b');
    assert.equal(formatLabels({}), '');
    assert.equal(formatLabels(undefined), '');
  });

  it('renders ages in the largest whole unit', () => {
    const now = new Date('2026-01-02T00:00:00.000Z');
    assert.equal(formatAge('2026-01-01T23:59:58.000Z', now), '2s ago');
    assert.equal(formatAge('2026-01-01T23:55:00.000Z', now), '5m ago');
    assert.equal(formatAge('2026-01-01T21:00:00.000Z', now), '3h ago');
    assert.equal(formatAge('2025-12-29T00:00:00.000Z', now), '4d ago');
    assert.equal(formatAge('', now), '');
    assert.equal(formatAge('not a time', now), 'not a time');
  });

  it('aligns detail keys and shows empty values as a dash', () => {
    assert.equal(
      formatDetails([
        ['name', 'edge-1'],
        ['labels', ''],
      ]),
      'name    edge-1\nlabels  -\n',
    );
  });
});
