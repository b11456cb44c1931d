"""What the absence analysis's published tables mean.

Variables ``("abs", measure, school, grade, factor, level)``: ``school`` is a school or ``Alle``,
``grade`` a grade label (``3. klasse``) or ``Alle``, ``factor`` a factor or ``Alle elever`` (then
``level`` is ``Alle``), ``level`` ``Ja``/``Nej``. Measures: ``n`` (pupils with absence data, a count),
``worry`` (pupils with worrying absence, a count), ``band0``…``band3`` (pupils per absence band, counts),
``absdays`` and ``days`` (sums of absence and school days: values over the group's pupils).

The drill-down data, the cross-tabs, the hypothesis tests, the overview and the segments all publish
the same variables, so a number shown in one table and hidden in another is caught. Identities: a
school's row is the sum of its grades; ``Alle`` the sum of the schools; ``Alle elever`` = ``Ja`` +
``Nej`` + the pupils whose factor is unknown (not published); the bands sum to the pupils; worrying
absence is the two upper bands.
"""

from __future__ import annotations

import math

from .facts import COUNT, VALUE
from .registry import TableView, norm_key, parse_cell, register, register_identities

NS = "abs"
ALL = "Alle"
ALL_PUPILS = "Alle elever"
YES, NO = "Ja", "Nej"
BANDS = ("Under 5 %", "5–10 %", "10–15 %", "15 % og derover")
BAND_KEYS = ("band0", "band1", "band2", "band3")
#: 97.5 % quantile of the standard normal (the confidence intervals of the hypothesis table).
Z = 1.959963984540054

__all__ = ["abs_key", "ALL", "ALL_PUPILS"]


def abs_key(measure: str, school: str = ALL, grade: str = ALL, factor: str = ALL_PUPILS, level: str = ALL):
    return (NS, measure, school, grade, factor, level)


def _group_text(s, g, f, lv) -> str:
    parts = ["alle skoler" if s == ALL else f"skole '{s}'", "alle klassetrin" if g == ALL else g]
    if f != ALL_PUPILS:
        parts.append(f"{'med' if lv == YES else 'uden' if lv == NO else lv} '{f}'")
    return ", ".join(parts)


_MEASURE_TEXT = {"n": "elever", "worry": "elever med bekymrende fravær", "absdays": "fraværsdage",
                 "days": "skoledage", "notworry": "elever uden bekymrende fravær",
                 **{k: f"elever med fravær {b}" for k, b in zip(BAND_KEYS, BANDS)}}


def declare_group(t: TableView, s=ALL, g=ALL, f=ALL_PUPILS, lv=ALL) -> None:
    """The variables of one group and the identities inside it (bands, worrying absence, days)."""
    if not t.once(("abs-group", s, g, f, lv)):
        return
    w = _group_text(s, g, f, lv)
    n = t.unpublished(abs_key("n", s, g, f, lv), COUNT, label=f"elever ({w})")
    for m in ("worry", "notworry", *BAND_KEYS):
        t.unpublished(abs_key(m, s, g, f, lv), COUNT, label=f"{_MEASURE_TEXT[m]} ({w})")
        t.leq(abs_key(m, s, g, f, lv), n)
    for m in ("absdays", "days"):
        t.unpublished(abs_key(m, s, g, f, lv), VALUE, label=f"{_MEASURE_TEXT[m]} ({w})", population=n, lo=0)
    t.total(n, [abs_key(b, s, g, f, lv) for b in BAND_KEYS], why=f"fraværsgrupperne summer til eleverne ({w})")
    t.total(abs_key("worry", s, g, f, lv), [abs_key("band2", s, g, f, lv), abs_key("band3", s, g, f, lv)],
            why=f"bekymrende fravær = de to øverste fraværsgrupper ({w})")
    t.total(n, [abs_key("worry", s, g, f, lv), abs_key("notworry", s, g, f, lv)],
            why=f"elever med og uden bekymrende fravær ({w})")
    t.leq(abs_key("absdays", s, g, f, lv), abs_key("days", s, g, f, lv))


# --- Drilldata ------------------------------------------------------------------------------------------------
DRILL_MEASURES = {"Elever": "n", "Bekymrende fravær": "worry", "Fraværsdage": "absdays", "Skoledage": "days",
                  **dict(zip(BANDS, BAND_KEYS))}


@register("tblDrilldata", description="Drilldown-data: elever og fravær pr. skole, klassetrin, faktor og niveau")
def _drilldata(t: TableView) -> None:
    t.label("Skole", "Klassetrin", "Faktor", "Niveau")
    for i in range(len(t.frame)):
        s, g, f, lv = (norm_key(t.raw(i, c)) for c in ("Skole", "Klassetrin", "Faktor", "Niveau"))
        if not (s and g and f and lv):
            continue
        declare_group(t, s, g, f, lv)
        where = f"rækken {_group_text(s, g, f, lv)}"
        for col, m in DRILL_MEASURES.items():
            if not t.has(col):
                continue
            if m in ("absdays", "days"):
                t.value(i, col, abs_key(m, s, g, f, lv), where=where)
            else:
                t.count(i, col, abs_key(m, s, g, f, lv), where=where)


# --- Krydstabeller ----------------------------------------------------------------------------------------------
@register(r"tblKryds\d+", pattern=True, description="Krydstabel: en faktor mod fraværsgrupperne")
def _crosstab(t: TableView) -> None:
    if not t.columns:
        return
    factor = t.columns[0]
    t.label(factor)
    for i, lv, _ in t.rows(factor):
        if lv not in (YES, NO):
            t.problem(f"rækken '{lv}' er ukendt (forventet Ja eller Nej)", f"rækken '{lv}'")
            continue
        declare_group(t, ALL, ALL, factor, lv)
        where = f"rækken '{lv}' ({_group_text(ALL, ALL, factor, lv)})"
        n = t.count(i, "I alt", abs_key("n", ALL, ALL, factor, lv), where=where)
        for b, m in zip(BANDS, BAND_KEYS):
            k = t.count(i, b, abs_key(m, ALL, ALL, factor, lv), where=where)
            col = f"Andel {b[0].lower() + b[1:]}"
            if t.has(col):
                sh = t.value(i, col, abs_key("andel_" + m, ALL, ALL, factor, lv), population=n, where=where,
                             lo=0, hi=1)
                if t.once(("abs-bandshare", factor, lv, m)):
                    t.ratio(sh, k, n, why=f"andel = antal / elever ({_group_text(ALL, ALL, factor, lv)})")


# --- Hypotesetest ------------------------------------------------------------------------------------------------
_UNADJ = ("Bekymrende fravær med faktoren", "Bekymrende fravær uden faktoren", "Forskel (procentpoint)",
          "Forskel KI nedre", "Forskel KI øvre", "Risikoratio", "Risikoratio KI nedre", "Risikoratio KI øvre",
          "Odds-ratio", "Odds-ratio KI nedre", "Odds-ratio KI øvre", "P-værdi")
_ADJ = ("Justeret forskel (procentpoint)", "Justeret forskel KI nedre", "Justeret forskel KI øvre",
        "Justeret risikoratio", "Justeret risikoratio KI nedre", "Justeret risikoratio KI øvre",
        "Justeret odds-ratio", "Justeret odds-ratio KI nedre", "Justeret odds-ratio KI øvre", "Justeret p-værdi")


def _hkey(f, col):
    return (NS, "hyp", f, col)


def hypothesis_vars(t: TableView, f: str) -> dict:
    """The 2×2 table of factor × worrying absence and every statistic computed from it (declared once)."""
    declare_group(t, ALL, ALL, f, YES)
    declare_group(t, ALL, ALL, f, NO)
    n1, n0 = abs_key("n", ALL, ALL, f, YES), abs_key("n", ALL, ALL, f, NO)
    a, c = abs_key("worry", ALL, ALL, f, YES), abs_key("worry", ALL, ALL, f, NO)
    b, d = abs_key("notworry", ALL, ALL, f, YES), abs_key("notworry", ALL, ALL, f, NO)
    keys = {"n1": n1, "n0": n0, "a": a, "b": b, "c": c, "d": d}
    if not t.once(("abs-hyp", f)):
        return keys
    nh = t.unpublished(_hkey(f, "Elever"), COUNT, label=f"elever med oplysning om '{f}'")
    t.total(nh, [n1, n0], why=f"elever = med + uden faktoren ('{f}')")
    stat = {}
    for col in _UNADJ + _ADJ:
        pop = n1 if "med" in col and "uden" not in col else (n0 if "uden" in col else None)
        stat[col] = t.unpublished(_hkey(f, col), VALUE, population=pop)
    for col, grp in (("Gns. fravær med faktoren (%)", n1), ("Gns. fravær uden faktoren (%)", n0)):
        stat[col] = t.unpublished(_hkey(f, col), VALUE, population=grp)
    p1, p0 = stat["Bekymrende fravær med faktoren"], stat["Bekymrende fravær uden faktoren"]
    t.ratio(p1, a, n1, why=f"andel med bekymrende fravær = antal / elever med '{f}'")
    t.ratio(p0, c, n0, why=f"andel med bekymrende fravær = antal / elever uden '{f}'")
    t.linear({stat["Forskel (procentpoint)"]: 1, p1: -100, p0: 100}, why=f"forskel = 100 · (andel med − uden) ('{f}')",
             out=stat["Forskel (procentpoint)"])
    t.product(stat["Risikoratio"], {p1: 1, p0: -1}, why=f"risikoratio = andel med / andel uden ('{f}')")
    t.product(stat["Odds-ratio"], {a: 1, d: 1, b: -1, c: -1}, why=f"odds-ratio = a·d / (b·c) ('{f}')")
    cells = (n1, n0, a, b, c, d)
    for col in _UNADJ[5:] + _ADJ:
        t.depends(stat[col], cells, why=f"beregnet ud fra 2×2-tabellen for '{f}'")
    for col in ("Forskel KI nedre", "Forskel KI øvre", "Risikoratio KI nedre", "Risikoratio KI øvre",
                "Odds-ratio KI nedre", "Odds-ratio KI øvre", "P-værdi"):
        pass
    t.custom((n1, n0, a, c, *(stat[col] for col in _UNADJ)), _two_by_two(n1, n0, a, c, stat),
             why=f"2×2-tabellen for '{f}' regnet baglæns fra forskel, ratioer og konfidensintervaller")
    return {**keys, **stat}


def _unadjusted(a, n1, c, n0) -> dict:
    """The unadjusted statistics exactly as :func:`tildeling.absence.stats._unadjusted` computes them."""
    out = {}
    if n1 == 0 or n0 == 0:
        return out
    b, d = n1 - a, n0 - c
    p1, p0 = a / n1, c / n0
    se = math.sqrt(max(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0, 0.0))
    out["Bekymrende fravær med faktoren"], out["Bekymrende fravær uden faktoren"] = p1, p0
    out["Forskel (procentpoint)"] = 100 * (p1 - p0)
    out["Forskel KI nedre"], out["Forskel KI øvre"] = 100 * (p1 - p0 - Z * se), 100 * (p1 - p0 + Z * se)
    if a > 0 and c > 0:
        rr = p1 / p0
        s = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
        out["Risikoratio"], out["Risikoratio KI nedre"], out["Risikoratio KI øvre"] = rr, rr * math.exp(-Z * s), \
            rr * math.exp(Z * s)
    if min(a, b, c, d) > 0:
        orr = a * d / (b * c)
        s = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        out["Odds-ratio"], out["Odds-ratio KI nedre"], out["Odds-ratio KI øvre"] = orr, orr * math.exp(-Z * s), \
            orr * math.exp(Z * s)
        out["P-værdi"] = math.erfc(abs(math.log(orr)) / s / math.sqrt(2))
    return out


def _two_by_two(n1k, n0k, ak, ck, stat):
    """Solve the 2×2 table (a, c) from whatever statistics are shown (enumerating a)."""

    memo: dict = {}

    def solve(known, facts):
        key = tuple(sorted((str(k), v) for k, v in known.items() if _num(v)))
        if key not in memo:
            memo.clear()
            memo[key] = _solve(known, facts)
        return memo[key]

    def _solve(known, facts):
        n1, n0 = known.get(n1k), known.get(n0k)
        if not _num(n1) or not _num(n0) or n1 > 200_000 or n0 > 200_000:
            return {}
        n1, n0 = int(round(n1)), int(round(n0))
        shown = {col: known[k] for col, k in stat.items() if col in _UNADJ and _num(known.get(k))}
        if ak in known and _num(known[ak]):
            a_range = [int(round(known[ak]))]
        else:
            a_range = range(n1 + 1)
        if not shown:
            return {}

        def c_candidates(a):
            if ck in known and _num(known[ck]):
                return [int(round(known[ck]))]
            p1 = a / n1 if n1 else 0.0
            p0 = shown.get("Bekymrende fravær uden faktoren")
            rd = shown.get("Forskel (procentpoint)")
            if rd is None and "Forskel KI nedre" in shown and "Forskel KI øvre" in shown:
                rd = (shown["Forskel KI nedre"] + shown["Forskel KI øvre"]) / 2
            rr = shown.get("Risikoratio")
            if rr is None and "Risikoratio KI nedre" in shown and "Risikoratio KI øvre" in shown:
                rr = math.sqrt(shown["Risikoratio KI nedre"] * shown["Risikoratio KI øvre"])
            orr = shown.get("Odds-ratio")
            if orr is None and "Odds-ratio KI nedre" in shown and "Odds-ratio KI øvre" in shown:
                orr = math.sqrt(shown["Odds-ratio KI nedre"] * shown["Odds-ratio KI øvre"])
            if p0 is not None:
                x = p0 * n0
            elif rd is not None:
                x = n0 * (p1 - rd / 100)
            elif rr:
                x = n0 * p1 / rr
            elif orr and (orr * (n1 - a) + a):
                x = a * n0 / (orr * (n1 - a) + a)
            else:
                return list(range(n0 + 1)) if n0 <= 2000 else []
            return [int(round(x))] if abs(x - round(x)) < 1e-6 * max(1, n0) + 1e-6 else []

        found = set()
        for a in a_range:
            if "Bekymrende fravær med faktoren" in shown and abs(a / n1 - shown["Bekymrende fravær med faktoren"]) > 1e-9:
                continue
            for c in c_candidates(a):
                if not 0 <= c <= n0:
                    continue
                stats = _unadjusted(a, n1, c, n0)
                if all(col in stats and math.isclose(stats[col], v, rel_tol=1e-6, abs_tol=1e-9)
                       for col, v in shown.items()):
                    found.add((a, c))
            if len(found) > 1 and len({x for x, _ in found}) > 1 and len({y for _, y in found}) > 1:
                return {}
        out = {}
        if found and len({x for x, _ in found}) == 1:
            out[ak] = float(next(iter(found))[0])
        if found and len({y for _, y in found}) == 1:
            out[ck] = float(next(iter(found))[1])
        return {k: v for k, v in out.items() if not _num(known.get(k))}

    return solve


def _num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@register("tblHypotesetest", description="Hypotesetest: bekymrende fravær med og uden faktoren")
def _hypotheses(t: TableView) -> None:
    t.label("Hypotese", "Faktor", "Forventet retning", "Vurdering", "Begrundelse")
    for i, f, _ in t.rows("Faktor"):
        where = f"rækken for faktoren '{f}'"
        k = hypothesis_vars(t, f)
        t.count(i, "Elever", _hkey(f, "Elever"), where=where)
        t.count(i, "Elever med faktoren", k["n1"], where=where)
        for col in _UNADJ + _ADJ + ("Gns. fravær med faktoren (%)", "Gns. fravær uden faktoren (%)"):
            if t.has(col):
                t.value(i, col, _hkey(f, col), where=where)
        _check_reason(t, i, where)


def _check_reason(t: TableView, i: int, where: str) -> None:
    """A reason text may not quote a difference that is hidden in the table."""
    if not t.has("Begrundelse"):
        return
    text = str(t.raw(i, "Begrundelse") or "")
    diffs = [c for c in ("Forskel (procentpoint)", "Justeret forskel (procentpoint)") if t.has(c)]
    if diffs and all(t.is_hidden(i, c) for c in diffs) and _FIGURE.search(text):
        t.problem("begrundelsen nævner tal, som er skjult i tabellen", where + ", kolonnen 'Begrundelse'")


import re  # noqa: E402

_FIGURE = re.compile(r"\d+,\d")


@register("tblHypoteseoversigt", description="Resultat: hypoteserne kort")
def _hypothesis_overview(t: TableView) -> None:
    t.label("Hypotese", "Faktor", "Vurdering")
    for i, f, _ in t.rows("Faktor"):
        where = f"rækken for faktoren '{f}'"
        hypothesis_vars(t, f)
        for col in _ADJ:
            if t.has(col):
                t.value(i, col, _hkey(f, col), where=where)


# --- Resultat (overview) ---------------------------------------------------------------------------------------
_OVERVIEW = {
    "Elever i elevlisten": ("count", (NS, "elevliste")),
    "Elever med fraværsdata": ("count", abs_key("n")),
    "Elever med bekymrende fravær (≥ 10 % i perioden)": ("count", abs_key("worry")),
    "Andel med bekymrende fravær": ("share", None),
    "Gennemsnitligt fravær (%)": ("mean", None),
    "Elev-kvartaler med fravær ≥ 10 %": ("count", (NS, "kvartaler_10")),
    "Elev-kvartaler med ulovligt fravær ≥ 15 % (underretningspligt)": ("count", (NS, "kvartaler_15")),
    "Hypoteser bekræftet": ("label", None),
    "Hypoteser afkræftet": ("label", None),
    "Hypoteser ikke afklaret": ("label", None),
    "Relevansgrænse (procentpoint)": ("label", None),
}


@register("tblResultat", description="Resultat: nøgletal for hele analysen")
def _overview(t: TableView) -> None:
    t.label("Nøgletal")
    declare_group(t)
    for i, label, _ in t.rows("Nøgletal"):
        where = f"rækken '{label}'"
        kind, key = _OVERVIEW.get(label, (None, None))
        if kind is None:
            t.problem(f"rækken '{label}' er ukendt for kontrollen", where)
        elif kind == "count":
            t.count(i, "Værdi", key, where=where)
        elif kind == "share":
            sh = t.value(i, "Værdi", (NS, "andel_bekymrende"), where=where)
            t.ratio(sh, abs_key("worry"), abs_key("n"), why="andel med bekymrende fravær = antal / elever")
        elif kind == "mean":
            t.value(i, "Værdi", (NS, "gns_fravaer"), population=abs_key("n"), where=where)
        else:
            t.claimed.add("Værdi")


# --- Koblingsrapport ---------------------------------------------------------------------------------------------
_NOT_PUPILS = ("Skolefakta (skoler)", "Skolefakta (klasser)")


@register("tblKoblingsrapport", description="Koblingsrapport: elever fundet i hvert domæne")
def _link_report(t: TableView) -> None:
    t.label("Domæne", "Bemærkning")
    roster = (NS, "elevliste")
    t.unpublished(roster, COUNT, label="elever i elevlisten")
    for i, dom, _ in t.rows("Domæne"):
        where = f"rækken '{dom}'"
        k = {col: (NS, "kobling", dom, col) for col in ("Rækker", "Elever i domænet", "Koblet til elevlisten",
                                                       "Elever uden data i domænet", "Ukendte elever i domænet")}
        if i == 0:   # the pupil list itself: every pupil is in it and linked
            for col in ("Rækker", "Elever i domænet", "Koblet til elevlisten"):
                k[col] = roster
        if dom in _NOT_PUPILS:   # rows are schools / classes
            t.value(i, "Rækker", k["Rækker"], where=where)
        else:
            t.count(i, "Rækker", k["Rækker"], where=where)
        for col in list(k)[1:]:
            t.count(i, col, k[col], label=f"{col.lower()} ({dom})", where=where)
        if i == 0:
            continue
        if dom not in _NOT_PUPILS:
            t.total(k["Elever i domænet"], [k["Koblet til elevlisten"], k["Ukendte elever i domænet"]],
                    why=f"elever i domænet = koblede + ukendte ({dom})")
        t.total(roster, [k["Koblet til elevlisten"], k["Elever uden data i domænet"]],
                why=f"elevlisten = koblede + elever uden data ({dom})")


# --- Tendens ---------------------------------------------------------------------------------------------------------
@register("tblTendens", description="Tendens: fravær i procent pr. skole og måned")
def _trend(t: TableView) -> None:
    t.label("Måned")
    for i, month, _ in t.rows("Måned"):
        for col in t.columns[1:]:
            pop = t.unpublished((NS, "tendens_elever", col, month), COUNT,
                                label=f"elever i '{col}' i {month}")
            t.value(i, col, (NS, "tendens", col, month), population=pop, where=f"måned {month}, '{col}'")


# --- Segmenter -------------------------------------------------------------------------------------------------------
def _seg(scope: str, cat: str):
    return (NS, "segment", scope, cat)


@register("tblSegmentregler", description="Segmenter: reglerne og hvor mange de placerer")
def _segment_rules(t: TableView) -> None:
    t.label("Prioritet", "Kategori", "Betingelse")
    for i, cat, _ in t.rows("Kategori"):
        where = f"rækken '{cat}'"
        placed = t.count(i, "Placeret i kategorien", _seg(ALL, cat), where=where)
        if t.has("Opfylder betingelsen"):
            match = t.count(i, "Opfylder betingelsen", (NS, "segment_opfylder", cat), where=where)
            t.leq(placed, match)


def _segment_table(t: TableView, scope_col: str, prefix: str) -> None:
    t.label(scope_col)
    cats = [c for c in t.columns if c not in (scope_col, "I alt")]
    for i, unit, _ in t.rows(scope_col):
        where = f"rækken '{unit}'"
        parts = []
        for cat in cats:
            parts.append(t.count(i, cat, _seg(prefix + unit, cat), where=where))
            t.unpublished(_seg(ALL, cat), COUNT, label=f"elever i kategorien '{cat}'")
        s, g = (unit, ALL) if prefix == "s:" else (ALL, unit)
        declare_group(t, s, g)
        total = t.count(i, "I alt", abs_key("worry", s, g), where=where)
        t.total(total, parts, why=f"kategorierne summer til 'I alt' ({unit})")


@register("tblSegmenterSkole", description="Segmenter pr. skole")
def _segments_school(t: TableView) -> None:
    _segment_table(t, "Skole", "s:")


@register("tblSegmenterKlassetrin", description="Segmenter pr. klassetrin")
def _segments_grade(t: TableView) -> None:
    _segment_table(t, "Klassetrin", "g:")


# --- input tables without pupil rows ------------------------------------------------------------------------------
@register("tblSkoler", description="Skolefakta: skoler og elevtal")
def _schools(t: TableView) -> None:
    t.label("Skole")
    for i, s, where in t.rows("Skole"):
        t.count(i, "Skolestørrelse", (NS, "skolestoerrelse", s), where=f"rækken for skolen '{s}'")


@register("tblKlasser", description="Skolefakta: klasser og elevtal")
def _classes(t: TableView) -> None:
    t.label("Skole", "Klasse")
    for i in range(len(t.frame)):
        s, k = norm_key(t.raw(i, "Skole")), norm_key(t.raw(i, "Klasse"))
        if s or k:
            t.count(i, "Klassestørrelse", (NS, "klassestoerrelse", s, k), where=f"rækken for klassen '{s} {k}'")


@register("tblHypoteser", description="Kommunens hypoteser (tekst)")
@register("tblSegmentering", description="Regler for segmenter (tekst)")
@register("tblIndstillinger", description="Indstillinger (ingen personer)")
def _texts_only(t: TableView) -> None:
    t.label(*t.columns)


# --- identities across the absence tables -------------------------------------------------------------------------
@register_identities
def _identities(facts, tables) -> None:
    V = facts.vars
    groups = sorted({k[2:] for k in V if k[0] == NS and len(k) == 6 and k[1] == "n"})
    if groups:
        measures = ("n", "worry", "notworry", "absdays", "days", *BAND_KEYS)
        by = {}
        for (s, g, f, lv) in groups:
            by.setdefault(("school", g, f, lv), []).append(s)
            by.setdefault(("grade", s, f, lv), []).append(g)
        for (dim, other, f, lv), members in by.items():
            total_member = ALL
            parts = [m for m in members if m != ALL]
            if total_member not in members or not parts:
                continue
            for m in measures:
                if dim == "school":
                    facts.total(abs_key(m, ALL, other, f, lv), [abs_key(m, s, other, f, lv) for s in parts],
                                why=f"alle skoler = summen af skolerne ({_group_text(ALL, other, f, lv)})")
                else:
                    facts.total(abs_key(m, other, ALL, f, lv), [abs_key(m, other, g, f, lv) for g in parts],
                                why=f"alle klassetrin = summen af klassetrinene ({_group_text(other, ALL, f, lv)})")
        # levels: all pupils = with + without + unknown
        present = set(groups)
        for (s, g, f, lv) in groups:
            if f == ALL_PUPILS or lv != YES or (s, g, f, NO) not in present or (s, g, ALL_PUPILS, ALL) not in present:
                continue
            for m in measures:
                kind = V[abs_key(m, s, g, f, YES)].kind
                unknown = abs_key(m, s, g, f, "ukendt")
                facts.var(unknown, kind, label=f"{_MEASURE_TEXT[m]} med ukendt '{f}' ({_group_text(s, g, f, ALL)})",
                          population=abs_key("n", s, g, f, "ukendt") if kind == VALUE else None)
                if kind == VALUE:
                    facts.vars[unknown].lo = 0.0
                facts.total(abs_key(m, s, g, ALL_PUPILS, ALL),
                            [abs_key(m, s, g, f, YES), abs_key(m, s, g, f, NO), unknown],
                            why=f"alle elever = med + uden + ukendt '{f}' ({_group_text(s, g, f, ALL)})")
    # segments: schools and grades each sum to the category's total
    seg = [k for k in V if k[0] == NS and k[1] == "segment"]
    for prefix in ("s:", "g:"):
        cats: dict = {}
        for k in seg:
            if k[2].startswith(prefix):
                cats.setdefault(k[3], []).append(k)
        for cat, parts in cats.items():
            if _seg(ALL, cat) in V:
                facts.total(_seg(ALL, cat), parts, why=f"kategorien '{cat}' i alt = summen over "
                                                        f"{'skolerne' if prefix == 's:' else 'klassetrinene'}")
    # segment 'I alt' rows sum to all pupils with worrying absence
    cats = sorted({k[3] for k in seg})
    if cats and abs_key("worry") in V and all(_seg(ALL, c) in V for c in cats):
        facts.total(abs_key("worry"), [_seg(ALL, c) for c in cats],
                    why="alle elever med bekymrende fravær = summen af kategorierne")


_ = parse_cell
