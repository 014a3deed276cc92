"""What Chromium made of chat-stats --html's page, for tests/html.bats.

usage: page.py figures DOM JSON       the table's values equal -o json's
       page.py period DOM JSON        the bars per day or week are JSON's
       page.py text DOM NAME          NAME is a group's text, and no element
       page.py png FILE               what a screenshot shows, as JSON

DOM is what `chromium --dump-dom` printed; JSON is chat-stats -o json's
output. Python's standard library only: Debian's python3, no PIL.
"""
import datetime
import html.parser
import json
import struct
import sys
import zlib


class Dom(html.parser.HTMLParser):
    """The elements of a page, each as [tag, attributes, text], in order."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements, self.open = [], []
        self.feed(text)
        self.close()

    # HTML's elements without an end tag; SVG's are closed, by /> in the
    # page, by an end tag in Chromium's DOM.
    void = {"area", "base", "br", "col", "embed", "hr", "img", "input",
            "link", "meta", "source", "track", "wbr"}

    def handle_starttag(self, tag, attrs):
        e = [tag, dict(attrs), "", self.open[-1] if self.open else None]
        self.elements.append(e)
        if tag not in self.void:
            self.open.append(e)

    def handle_endtag(self, tag):
        if any(e[0] == tag for e in self.open):
            while self.open.pop()[0] != tag:
                pass

    def handle_data(self, data):
        for e in self.open:
            e[2] += data

    def within(self, tag, parent):
        """The tag elements whose nearest parent of that tag is parent."""
        return [e for e in self.elements if e[0] == tag and e[3] is parent]


def table_rows(dom):
    """The figures table: its column names and each row as a dict."""
    table = [e for e in dom.elements if e[0] == "table"
             and e[1].get("id") == "figures"]
    assert len(table) == 1, "no table of figures"
    rows = []
    for e in dom.elements:
        if e[0] != "tr" or not inside(e, table[0]):
            continue
        if inside(e, "thead"):
            keys = [c[2] for c in dom.within("th", e)]
            continue
        cells = [c for c in dom.elements if c[3] is e]
        group, values = cells[0], cells[1:]
        assert group[0] == "th", "a row without its group"
        row = {keys[0]: group[2]}
        for k, c in zip(keys[1:], values):
            assert "data-value" in c[1], f"{k}: no data-value"
            row[k] = json.loads(c[1]["data-value"])
        assert len(values) == len(keys) - 1, f"row {group[2]}: {len(values)} cells"
        rows.append(row)
    return keys, rows


def inside(e, what):
    """Whether e is within the element what, or within an element of that tag."""
    while e is not None:
        e = e[3]
        if e is what or (e is not None and e[0] == what):
            return True
    return False


def same(a, b):
    """Equal, and of the same JSON type: 3 is not 3.0, null is not 0."""
    return type(a) is type(b) and a == b


def figures(dom_file, json_file):
    keys, rows = table_rows(Dom(open(dom_file, encoding="utf-8").read()))
    want = [json.loads(l) for l in open(json_file, encoding="utf-8") if l.strip()]
    assert len(rows) == len(want), f"{len(rows)} rows in the page, {len(want)} in JSON"
    fields = 0
    for got, w in zip(rows, want):
        assert list(w) == keys, f"columns {keys}, JSON's {list(w)}"
        for k in keys:
            assert same(got[k], w[k]), f"{w[keys[0]]} {k}: page {got[k]!r}, JSON {w[k]!r}"
            fields += 1
    print(f"{len(rows)} rows, {fields} fields equal")


def period(dom_file, json_file):
    """The bars of the chart per period, each titled "GROUP: N"."""
    dom = Dom(open(dom_file, encoding="utf-8").read())
    svg = [e for e in dom.elements if e[0] == "svg" and
           e[1].get("aria-label", "").startswith("Closed conversations by the ")]
    assert len(svg) == 1, "no chart per day or week"
    rects = [r for r in dom.elements if r[0] == "rect" and inside(r, svg[0])]
    bars = [t[2] for r in rects for t in dom.within("title", r)]
    want = [json.loads(l) for l in open(json_file, encoding="utf-8") if l.strip()]
    key = next(iter(want[0]))
    want = [f"{w[key]}: {w['conversations']}" for w in want
            if w[key] != "(total)"]
    assert bars == want, f"bars {bars}, JSON's {want}"
    # Each bar stands at its day or week, those without any left empty.
    weekly = "week" in svg[0][1]["aria-label"]
    first = start(bars[0].split(":")[0])
    units = [(start(b.split(":")[0]) - first).days // (7 if weekly else 1)
             for b in bars]
    xs = [float(r[1]["x"]) for r in rects]
    slot = (xs[-1] - xs[0]) / units[-1] if units[-1] else 0
    for b, u, x in zip(bars, units, xs):
        assert abs(x - xs[0] - u * slot) < 0.05, f"{b} at x {x}, not {xs[0] + u * slot}"
    print(f"{svg[0][1]['aria-label']}: {len(bars)} bars")


def start(period):
    """The first day of a day (2026-11-23) or an ISO week (2026-W48)."""
    if "-W" in period:
        year, week = period.split("-W")
        return datetime.date.fromisocalendar(int(year), int(week), 1)
    return datetime.date.fromisoformat(period)


def text(dom_file, name):
    """name, a group, is text: the cell of its row, whole in the charts'
    tooltips; and the page holds only the elements the report makes."""
    dom = Dom(open(dom_file, encoding="utf-8").read())
    made = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p",
            "figure", "svg", "g", "text", "rect", "line", "div", "table",
            "thead", "tbody", "tfoot", "tr", "th", "td", "wbr"}
    extra = {e[0] for e in dom.elements} - made
    assert not extra, f"elements the report does not make: {extra}"
    cells = [e[2] for e in dom.elements if e[0] == "th" and e[1].get("scope") == "row"]
    assert name in cells, f"{name!r} not among the groups {cells}"
    tips = [e[2] for e in dom.elements if e[0] == "title"
            and e[2].startswith(name + ": ")]
    assert len(tips) == 2, f"{len(tips)} tooltips name {name!r}, not 2 (bars, boxes)"
    print("text")


def png(path):
    """Width, height, the colours, the background (top left pixel) and,
    in the band of the first charts, the share of pixels not background and
    the commonest other colour (a chart's fill) with its share."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and not interlace, "PNG kind"
        elif kind == b"IDAT":
            idat += body
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, rows, p = bytearray(stride), [], 0
    for _ in range(h):
        f, line = raw[p], bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else
                                      b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    px = lambda r, x: tuple(r[x * bpp:x * bpp + 3])
    bg = px(rows[0], 0)
    colours, counts, band = set(), {}, range(h // 10, h * 6 // 10)
    for y in range(h):
        for x in range(w):
            c = px(rows[y], x)
            colours.add(c)
            if y in band and c != bg:
                counts[c] = counts.get(c, 0) + 1
    total = len(band) * w
    fill = max(counts, key=counts.get) if counts else bg
    print(json.dumps({"width": w, "height": h, "colours": len(colours),
                      "background": bg, "ink": sum(counts.values()) / total,
                      "fill": fill, "fill_share": counts.get(fill, 0) / total}))


if __name__ == "__main__":
    try:
        {"figures": figures, "period": period, "text": text,
         "png": png}[sys.argv[1]](*sys.argv[2:])
    except AssertionError as e:
        print(f"page.py {sys.argv[1]}: {e}", file=sys.stderr)
        sys.exit(1)
