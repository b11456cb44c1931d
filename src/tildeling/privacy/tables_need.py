"""What the need model's published tables mean (the shared copy and the delivery).

Variables (keys ``("need", measure, unit)``, unit = a district code, :data:`MUNICIPALITY`,
:data:`DISTRICTS` (the sum of the districts) or :data:`OUTSIDE` (pupils without a district)):

- ``elever`` – pupils in grades 0–9 (count);
- ``su`` – pupils in segregated special education (count);
- ``forventet`` – expected number Σ p̂ (a value over the unit's pupils: the sum of their probabilities);
- derived values: shares, rates, the index, the key, budgets – each with the constraint that inverts it.

Identities across tables (:func:`_identities`): every measure of the municipality is the sum over the
districts plus the pupils without a district. When no table publishes the number of pupils without a
district, it is taken to be known to a reader (0 in the pupil route, where every pupil has a district):
the conservative assumption.
"""

from __future__ import annotations

from .facts import COUNT, PRIMARY, PUBLIC, SECONDARY, SHOWN, UNPUBLISHED, VALUE
from .registry import TableView, norm_key, parse_cell, register, register_identities

NS = "need"
MUNICIPALITY = "Kommunen"
DISTRICTS = "Distrikterne"
OUTSIDE = "Uden distrikt"
TOTAL_ROW = "I alt"

__all__ = ["need_key", "MUNICIPALITY", "DISTRICTS", "OUTSIDE", "district_rows"]


def need_key(measure: str, unit: str = "", *rest) -> tuple:
    """The key of a need-model variable: ``need_key("su", "3")`` = segregated pupils in district 3."""
    return (NS, measure, unit, *rest) if unit or rest else (NS, measure)


def n(u):
    return need_key("elever", u)


def A(u):
    return need_key("su", u)


def E(u):
    return need_key("forventet", u)


_UNIT_WORDS = {MUNICIPALITY: "kommunen", DISTRICTS: "distrikterne i alt", OUTSIDE: "elever uden distrikt"}


def unit_text(u: str) -> str:
    return _UNIT_WORDS.get(u, f"distrikt {u}")


def declare_unit(t: TableView, u: str) -> None:
    """The basic variables of a unit (district or municipality) and how its rates invert."""
    if not t.once(("need-unit", u)):
        return
    w = unit_text(u)
    t.unpublished(n(u), COUNT, label=f"elever i {w}")
    t.unpublished(A(u), COUNT, label=f"segregerede elever i {w}")
    t.unpublished(E(u), VALUE, label=f"forventet antal segregerede elever i {w}", population=n(u), lo=0)
    t.leq(A(u), n(u), why=f"segregerede elever i {w} er højst elevtallet")
    if u != OUTSIDE:   # the complement: pupils not in segregated special education (1 … N − 1 is a leak too)
        rest = t.unpublished(need_key("ikke_su", u), COUNT, label=f"elever i {w} uden for segregeret "
                                                                  "specialundervisning")
        t.linear({A(u): 1, rest: 1, n(u): -1}, why=f"segregerede + øvrige elever = elever ({w})")
    t.leq(E(u), n(u), why=f"det forventede antal i {w} er højst elevtallet")
    # rates and means
    t.unpublished(need_key("pbar", u), VALUE, label=f"gns. forudsagt sandsynlighed i {w}", population=n(u),
                  lo=0, hi=1)
    t.ratio(need_key("pbar", u), E(u), n(u), why=f"gns. sandsynlighed = forventet antal / elever ({w})")
    t.unpublished(need_key("rate", u), VALUE, label=f"faktisk henvisningsandel i {w}", population=n(u), lo=0, hi=1)
    t.ratio(need_key("rate", u), A(u), n(u), why=f"henvisningsandel = segregerede / elever ({w})")


def declare_district(t: TableView, d: str) -> None:
    declare_unit(t, d)
    declare_unit(t, DISTRICTS)
    if not t.once(("need-district", d)):
        return
    w = unit_text(d)
    for key, num, den, what in (("andel_elever", n(d), n(DISTRICTS), "andel af eleverne"),
                                ("andel_su", A(d), A(DISTRICTS), "andel af de segregerede elever"),
                                ("andel_forventet", E(d), E(DISTRICTS), "forventet andel (nøglen)")):
        t.unpublished(need_key(key, d), VALUE, label=f"{what} i {w}",
                      population=None if key != "andel_forventet" else n(d), lo=0, hi=1)
        t.ratio(need_key(key, d), num, den, why=f"{what} = distriktets tal / distrikternes i alt ({w})")
    t.unpublished(need_key("indeks", d), VALUE, label=f"indeks for {w}", population=n(d))
    t.product(need_key("indeks", d), {need_key("pbar", d): 1, need_key("pbar", DISTRICTS): -1}, 100.0,
              why=f"indeks = 100 · distriktets / distrikternes gns. sandsynlighed ({w})")


def total_row(t: TableView, column: str = "Distrikt") -> int | None:
    """The position of the table's ``I alt`` row (Excel's totals row, read as a row), or None."""
    for i, d, _ in t.rows(column):
        if d == TOTAL_ROW:
            return i
    return None


def district_rows(t: TableView, column: str = "Distrikt", *, skip_total: bool = True):
    """(position, district code, row in words) of the district rows of ``t``."""
    names = t.raw
    for i, d, _ in t.rows(column):
        if skip_total and d == TOTAL_ROW:
            continue
        name = norm_key(names(i, "Navn")) if t.has("Navn") else ""
        yield i, d, f"rækken for distrikt '{d}'" + (f" ({name})" if name and name != d else "")


# --- Distriktsbehov (Tabel 5.1) ----------------------------------------------------------------------------------
def _first(t: TableView, *names: str) -> str:
    """The first of ``names`` the table has (contract names, and the older names of the same column)."""
    return next((n for n in names if t.has(n)), names[0])


@register("tblDistriktsbehov", description="Tabel 5.1: forventet behov pr. distrikt")
def _district_need(t: TableView) -> None:
    t.label("Navn")
    total = need_key("samlet_budget")
    for i, d, where in district_rows(t):
        declare_district(t, d)
        w = unit_text(d)
        t.count(i, "Elever", n(d), where=where)
        t.count(i, _first(t, "Faktiske segregerede elever", "Faktiske SU-elever"), A(d), where=where)
        t.value(i, _first(t, "Forventede segregerede elever", "Forventede SU-elever"), E(d), where=where)
        t.value(i, "Andel af elever", need_key("andel_elever", d), where=where)
        t.value(i, _first(t, "Faktisk andel af segregerede elever", "Faktisk andel af SU-elever"),
                need_key("andel_su", d), where=where)
        t.value(i, "Forudsagt sandsynlighed", need_key("pbar", d), where=where)
        t.value(i, "Indeks", need_key("indeks", d), where=where)
        key = t.value(i, _first(t, "Behovsnøgle", "Forventet andel"), need_key("andel_forventet", d), where=where)
        _interval(t, i, d, key, "Behovsnøgle, 95 % KI nedre", "Behovsnøgle, 95 % KI øvre", "noegle_ki", where)
        for col, bound in (("Budget efter behov, 95 % KI nedre (kr.)", "Behovsnøgle, 95 % KI nedre"),
                           ("Budget efter behov, 95 % KI øvre (kr.)", "Behovsnøgle, 95 % KI øvre")):
            if t.has(col):
                t.public(total, None, label="det samlede budget")
                kr = t.value(i, col, need_key("noegle_ki_kr", d, col), population=n(d), where=where)
                t.product(kr, {total: 1, need_key("noegle_ki", d, bound): 1},
                          why=f"interval i kroner = samlet budget · nøglens interval ({w})")
    i = total_row(t)
    if i is not None:
        D = DISTRICTS
        t.sum_row(i, special={"Forudsagt sandsynlighed": (need_key("pbar", D), VALUE),
                              "Indeks": (need_key("indeks_i_alt"), VALUE)})


def _interval(t: TableView, i: int, d: str, centre, low_col: str, high_col: str, tag: str, where: str,
              scale: float = 1.0) -> None:
    """A 95 % interval around ``centre``: its midpoint is the centre (and it is computed from the district)."""
    if not (t.has(low_col) and t.has(high_col)):
        return
    lo = t.value(i, low_col, need_key(tag, d, low_col), population=n(d), where=where)
    hi = t.value(i, high_col, need_key(tag, d, high_col), population=n(d), where=where)
    if t.once((tag, d)):
        t.linear({lo: 0.5, hi: 0.5, centre: -scale}, why=f"intervallets midtpunkt er tallet selv ({unit_text(d)})")
        t.depends(lo, [centre], why=f"intervallet er beregnet ud fra tallet ({unit_text(d)})")
        t.depends(hi, [centre], why=f"intervallet er beregnet ud fra tallet ({unit_text(d)})")


# --- the delivery (issue 9) ---------------------------------------------------------------------------------------
@register("tblDistriktstal", description="Leverancen: distriktstal (elever, forventede og faktiske elever)")
def _district_figures(t: TableView) -> None:
    t.label("Navn")
    for i, d, where in district_rows(t):
        declare_district(t, d)
        t.count(i, "Elever", n(d), where=where)
        t.value(i, "Forventede elever", E(d), where=where)
        t.count(i, "Faktiske elever", A(d), where=where)
        # the uncertainty (issue 9/10): Σ p̂(1 − p̂) and the key's standard error are sums over all of the
        # district's pupils of the model's probabilities – no outcome and no count of persons. They say nothing
        # about a group smaller than the district (never under N pupils in a delivery); shown with a district
        # of fewer than N pupils they would describe those pupils, so they are values over the district's pupils.
        for col, tag in (("Varians, forventede elever", "varians"), ("Behovsnøgle, standardfejl", "noegle_se")):
            if t.has(col):
                key = t.value(i, col, need_key(tag, d), population=n(d), where=where, lo=0)
                if t.once(("need-uncertainty", tag, d)):
                    t.depends(key, [E(d), n(d)], why=f"beregnet ud fra distriktets elever ({unit_text(d)})")


@register("tblKommunetal", description="Leverancen: kommunen samlet (Tabel 4.1), også elever uden distrikt")
def _municipal_figures(t: TableView) -> None:
    t.label("Kommune", "Navn")
    M = MUNICIPALITY
    declare_unit(t, M)
    for i in range(len(t.frame)):
        where = "rækken for kommunen"
        t.count(i, "Elever", n(M), where=where)
        t.value(i, "Forventede elever", E(M), where=where)
        t.count(i, "Faktiske elever", A(M), where=where)
        if t.has("Elever uden distrikt"):
            declare_unit(t, OUTSIDE)
            t.count(i, "Elever uden distrikt", n(OUTSIDE), where=where)
        if t.has("Landsandel segregerede"):
            t.public(need_key("landsandel"), t.shown_number(i, "Landsandel segregerede"))
            t.claimed.add("Landsandel segregerede")


@register("tblLeverance", description="Leverancen: oplysninger om leverancen (nøgle og værdi)")
def _delivery_metadata(t: TableView) -> None:
    t.category("Nøgle")
    t.label("Værdi")     # texts: checked for numbers of persons


@register("tblSkjulteTal", description="Leverancen: hvert skjult tal og reglen bag det")
def _suppressed_list(t: TableView) -> None:
    # where a hidden cell is and the fixed wording of its rule ('1-4 personer' is the rule, not a count)
    t.category("Tabel", "Række", "Kolonne", "Vist som", "Regel")


# --- Benchmark -------------------------------------------------------------------------------------------------
@register("tblEksternBenchmark", description="Figur 5.1: faktisk og forventet henvisningsandel pr. distrikt")
def _external(t: TableView) -> None:
    t.label("Navn")
    for i, d, where in district_rows(t):
        declare_district(t, d)
        t.count(i, "Elever", n(d), where=where)
        t.value(i, "Forventet henvisningsandel", need_key("pbar", d), where=where)
        t.value(i, "Faktisk henvisningsandel", need_key("rate", d), where=where)
        diff = t.value(i, "Forskel (procentpoint)", need_key("forskel_pp", d), population=n(d), where=where)
        if t.once(("need-ext-diff", d)):
            t.linear({diff: 1, need_key("rate", d): -100, need_key("pbar", d): 100},
                     why=f"forskel = 100 · (faktisk − forventet andel) ({unit_text(d)})", out=diff)
        _interval(t, i, d, diff, "Forskel KI nedre (procentpoint)", "Forskel KI øvre (procentpoint)", "forskel_ki",
                  where)
        if t.has("Vurdering"):
            v = t.text_value(i, "Vurdering", need_key("vurdering", d), where=where)
            t.depends(v, [A(d), n(d)], why=f"vurderingen bygger på det faktiske antal ({unit_text(d)})")
    i = total_row(t)
    if i is not None:
        D = DISTRICTS
        diff = t.unpublished(need_key("forskel_pp", D), VALUE, population=n(D))
        if t.once(("need-ext-diff", D)):
            t.linear({diff: 1, need_key("rate", D): -100, need_key("pbar", D): 100},
                     why="forskel = 100 · (faktisk − forventet andel) (distrikterne i alt)", out=diff)
        t.sum_row(i, special={"Forventet henvisningsandel": (need_key("pbar", D), VALUE),
                              "Faktisk henvisningsandel": (need_key("rate", D), VALUE),
                              "Forskel (procentpoint)": (diff, VALUE)})


@register("tblInternBenchmark", description="Figur 5.2: distriktets andel af kommunens segregerede elever")
def _internal(t: TableView) -> None:
    t.label("Navn")
    for i, d, where in district_rows(t):
        declare_district(t, d)
        t.value(i, _first(t, "Behovsnøgle", "Forventet andel"), need_key("andel_forventet", d), where=where)
        t.value(i, "Faktisk andel", need_key("andel_su", d), where=where)
        diff = t.value(i, "Forskel (procentpoint)", need_key("forskel_andel_pp", d), where=where)
        if t.once(("need-int-diff", d)):
            t.linear({diff: 1, need_key("andel_su", d): -100, need_key("andel_forventet", d): 100},
                     why=f"forskel = 100 · (faktisk − forventet andel af SU-eleverne) ({unit_text(d)})", out=diff)
    i = total_row(t)
    if i is not None:
        t.sum_row(i)


#: Rows of tblKommunebenchmark (Tabel 4.1): label → how the value relates to the municipality's counts.
MUNICIPAL_ROWS = {
    "Henvisningsandel, hele landet": "national",
    "Elever i 0.-9. klasse": "n",
    "Faktisk antal segregerede elever": "A",
    "Faktisk henvisningsandel": "rate",
    "Forventet antal segregerede elever": "E",
    "Forventet henvisningsandel": "pbar",
    "Forskel, elever (faktisk − forventet)": "diff",
    "Forskel, procentpoint": "diff_pp",
    "Forskel i % af forventet": "diff_rel",
    "Elever uden distrikt": "outside",
}


@register("tblKommunebenchmark", description="Tabel 4.1: kommunen samlet")
def _municipal(t: TableView) -> None:
    t.label("Nøgletal", "Enhed")
    M = MUNICIPALITY
    declare_unit(t, M)
    diff = t.unpublished(need_key("forskel", M), VALUE, label="forskel i elever (faktisk − forventet)",
                         population=n(M))
    rel = t.unpublished(need_key("forhold", M), VALUE, label="faktisk / forventet", population=n(M))
    if t.once("need-municipal"):
        t.linear({diff: 1, A(M): -1, E(M): 1}, why="forskel = faktisk − forventet antal", out=diff)
        t.ratio(rel, A(M), E(M), why="faktisk / forventet antal")
    for i, label, where in t.rows("Nøgletal"):
        kind = MUNICIPAL_ROWS.get(label)
        where = f"rækken '{label}'"
        if kind is None:
            t.problem(f"rækken '{label}' er ukendt for kontrollen – registrér den i tildeling.privacy.tables_need",
                      where)
            continue
        col = "Værdi"
        if kind == "national":
            t.public(need_key("landsandel"), t.shown_number(i, col))
            t.claimed.add(col)
        elif kind == "n":
            t.count(i, col, n(M), where=where)
        elif kind == "A":
            t.count(i, col, A(M), where=where)
        elif kind == "outside":
            t.count(i, col, n(OUTSIDE), where=where)
            declare_unit(t, OUTSIDE)
        elif kind == "rate":
            t.value(i, col, need_key("rate", M), where=where)
        elif kind == "E":
            t.value(i, col, E(M), where=where)
        elif kind == "pbar":
            t.value(i, col, need_key("pbar", M), where=where)
        elif kind == "diff":
            t.value(i, col, diff, where=where)
        elif kind == "diff_pp":
            pp = t.value(i, col, need_key("forskel_pp", M), population=n(M), where=where)
            # the shared copy shows percentage points (×100); the core's table fractions: both invert
            unit = norm_key(t.raw(i, "Enhed")) if t.has("Enhed") else ""
            t.ratio(pp, diff, n(M), 100.0 if unit == "procentpoint" else 1.0,
                    why="forskel i procentpoint = 100 · forskel i elever / elever")
        elif kind == "diff_rel":
            r = t.value(i, col, need_key("forskel_rel", M), population=n(M), where=where)
            t.linear({r: 1, rel: -1}, -1.0, why="forskel i % af forventet = faktisk / forventet − 1", out=r)


# --- Fordeling -------------------------------------------------------------------------------------------------
@register("tblFordeling", description="Fordelingen af budgettet pr. distrikt")
def _allocation(t: TableView) -> None:
    t.label("Navn", "Gulv (kr.)")
    total = need_key("samlet_budget")
    shown = [t.shown_number(i, "Budget (kr.)") for i, _, _ in district_rows(t)] if t.has("Budget (kr.)") else []
    t.public(total, sum(shown) if shown and None not in shown else None, label="det samlede budget")
    rows = list(district_rows(t))
    floors = any((t.shown_number(i, "Gulv (kr.)") or 0) > 0 or t.is_hidden(i, "Gulv (kr.)") and
                 t.raw(i, "Gulv (kr.)") not in (None, "") for i, _, _ in rows) if t.has("Gulv (kr.)") else False
    mixed = t.has("Blandet nøgle")
    weight, rest = need_key("elevtalsvaegt"), need_key("1-elevtalsvaegt")
    if mixed:
        t.public(weight, None, label="andel fordelt efter elevtal")
        t.public(rest, None, label="andel fordelt efter behov")
    budgets, heads, keys, shares, needs = [], [], [], [], []
    for i, d, where in rows:
        declare_district(t, d)
        w = unit_text(d)
        t.count(i, "Elever", n(d), where=where)
        hs = t.value(i, "Elevtalsandel", need_key("andel_elever", d), where=where)
        es = t.value(i, "Behovsnøgle", need_key("andel_forventet", d), where=where)
        key = need_key("noegle", d)
        t.value(i, "Fordelingsnøgle", key, population=n(d), where=where, lo=0, hi=1)
        if mixed:
            mk = t.value(i, "Blandet nøgle", need_key("blandet", d), population=n(d), where=where)
            u = t.unpublished(need_key("blandet_elev", d), VALUE)
            v = t.unpublished(need_key("blandet_behov", d), VALUE, population=n(d))
            t.product(u, {weight: 1, hs: 1}, why=f"elevtalsdelen af den blandede nøgle ({w})")
            t.product(v, {rest: 1, es: 1}, why=f"behovsdelen af den blandede nøgle ({w})")
            t.linear({mk: 1, u: -1, v: -1}, why=f"blandet nøgle = elevtalsdel + behovsdel ({w})", out=mk)
        if floors:
            t.depends(key, [E(d), n(d)], why=f"nøglen efter gulve afhænger af distriktets behov ({w})")
        else:
            t.linear({key: 1, (need_key("blandet", d) if mixed else es): -1}, why=f"fordelingsnøglen ({w})", out=key)
        b = t.value(i, "Budget (kr.)", need_key("budget", d), population=n(d), where=where)
        t.product(b, {total: 1, key: 1}, why=f"budget = samlet budget · fordelingsnøgle ({w})")
        bh = t.value(i, "Budget efter elevtal (kr.)", need_key("budget_elevtal", d), where=where)
        t.product(bh, {total: 1, hs: 1}, why=f"budget efter elevtal = samlet budget · elevtalsandel ({w})")
        if t.has("Forskel (kr.)"):
            df = t.value(i, "Forskel (kr.)", need_key("forskel_kr", d), population=n(d), where=where)
            t.linear({df: 1, b: -1, bh: 1}, why=f"forskel = budget − budget efter elevtal ({w})", out=df)
        need_only = _first(t, "Budget efter behov alene (kr.)", "Nøgle efter behov alene (kr.)")
        if t.has(need_only):
            bn = t.value(i, need_only, need_key("budget_behov", d), population=n(d), where=where)
            t.product(bn, {total: 1, es: 1}, why=f"budget efter behov alene = samlet budget · behovsnøgle ({w})")
        if t.has("Budget før beskyttelse (kr.)"):
            bu = t.value(i, "Budget før beskyttelse (kr.)", need_key("budget_foer", d), population=n(d), where=where)
            t.depends(bu, [key], why=f"budgettet før beskyttelse følger nøglen ({w})")
            if t.has("Beskyttelse (kr.)"):
                pr = t.value(i, "Beskyttelse (kr.)", need_key("beskyttelse", d), population=n(d), where=where)
                t.linear({pr: 1, b: -1, bu: 1}, why=f"beskyttelse = budget − budget før beskyttelse ({w})", out=pr)
        if t.has("Nuværende budget (kr.)"):
            cur = t.value(i, "Nuværende budget (kr.)", need_key("nuvaerende", d), where=where)
            if t.has("Forskel til nuværende (kr.)"):
                dc = t.value(i, "Forskel til nuværende (kr.)", need_key("forskel_nuv", d), population=n(d),
                             where=where)
                t.linear({dc: 1, b: -1, cur: 1}, why=f"forskel til nuværende = budget − nuværende ({w})", out=dc)
        budgets.append(b)
        heads.append(bh)
        keys.append(key)
        shares.append(hs)
        needs.append(es)
    if rows and t.once("need-allocation-sums"):
        t.total(total, budgets, why="budgetterne summer til det samlede budget")
        t.total(total, heads, why="budgetterne efter elevtal summer til det samlede budget")
        for parts, what in ((keys, "fordelingsnøglerne"), (shares, "elevtalsandelene"), (needs, "behovsnøglerne")):
            t.linear({**{k: 1.0 for k in parts}}, 1.0, why=f"{what} summer til 1")
    i = total_row(t)
    if i is not None:
        t.sum_row(i)


@register("tblIndfasning", description="Indfasning af budgettet år for år")
def _phase_in(t: TableView) -> None:
    t.label("Navn")
    cur_col = "Nuværende budget (kr.)"
    # the years: 'År 1 (kr.)' …, or with a budget year '2027 (kr.)' …, in order
    year_cols = [c for c in t.columns if c.endswith("(kr.)") and c != cur_col]
    years = list(range(1, len(year_cols) + 1))
    col_of = dict(zip(years, year_cols))
    last = years[-1] if years else 0
    per_year: dict[int, list] = {y: [] for y in years}
    curs = []
    total_row = None
    for i, d, where in district_rows(t, skip_total=False):
        if d == TOTAL_ROW:
            total_row = i
            continue
        declare_district(t, d)
        cur = t.value(i, cur_col, need_key("nuvaerende", d), where=where)
        curs.append(cur)
        for y in years:
            col = col_of[y]
            yk = t.value(i, col, need_key("aar", d, y), population=n(d), where=where)
            per_year[y].append(yk)
            s = y / last
            t.linear({yk: 1, need_key("budget", d): -s, cur: -(1 - s)},
                     why=f"år {y} = nuværende + (nyt budget − nuværende) · {y}/{last} ({unit_text(d)})", out=yk)
            if y == last:
                t.facts.var(need_key("budget", d), VALUE, population=n(d))
    if total_row is not None:
        where = "rækken 'I alt'"
        tc = t.value(total_row, cur_col, need_key("nuvaerende", TOTAL_ROW), where=where)
        t.total(tc, curs, why="nuværende budget i alt")
        for y in years:
            tk = t.value(total_row, col_of[y], need_key("aar", TOTAL_ROW, y), where=where)
            t.total(tk, per_year[y], why=f"år {y} i alt")


# --- Sammenfatning and Scenarier (budget sheets of the shared copy) ---------------------------------------------
def _codes_by_name(t: TableView) -> dict[str, str]:
    """District name → code, from the published tables that carry both (Sammenfatning shows names only)."""
    out: dict[str, str] = {}
    for name in ("tblFordeling", "tblDistriktsbehov", "tblScenarier", "tblUdvikling"):
        frame = t.tables.get(name)
        if frame is not None and {"Distrikt", "Navn"}.issubset(frame.columns):
            for d, nm in zip(frame["Distrikt"], frame["Navn"]):
                if norm_key(d) != TOTAL_ROW:
                    out.setdefault(norm_key(nm), norm_key(d))
    return out


@register("tblSammenfatning", description="Sammenfatning: budget pr. distrikt til udvalget")
def _summary(t: TableView) -> None:
    codes = _codes_by_name(t)
    total_i = None
    for i, name, _ in t.rows("Distrikt"):
        if name == TOTAL_ROW:
            total_i = i
            continue
        d = codes.get(name, name)
        where = f"rækken for distrikt '{name}'"
        declare_district(t, d)
        w = unit_text(d)
        t.count(i, "Elever", n(d), where=where)
        t.value(i, "Behovsindeks", need_key("indeks", d), where=where)
        new = t.value(i, "Nyt budget (kr.)", need_key("nyt_budget", d), population=n(d), where=where)
        if t.once(("need-new-budget", d)):
            t.depends(new, [E(d), n(d)], why=f"det nye budget følger nøglen ({w})")
        cur = t.value(i, "Nuværende budget (kr.)", need_key("nuvaerende", d), where=where)
        ch = t.value(i, "Ændring (kr.)", need_key("sf_aendring", d), population=n(d), where=where)
        t.linear({ch: 1, new: -1, cur: 1}, why=f"ændring = nyt − nuværende budget ({w})", out=ch)
        pct = t.value(i, "Ændring (%)", need_key("sf_aendring_pct", d), population=n(d), where=where)
        t.depends(pct, [new, cur], why=f"ændring i % = nyt / nuværende budget − 1 ({w})")
        per = t.value(i, "Kr. pr. elev", need_key("sf_kr_pr_elev", d), population=n(d), where=where)
        t.ratio(per, new, n(d), why=f"kr. pr. elev = nyt budget / elever ({w})")
    if total_i is not None:
        t.sum_row(total_i, special={"Behovsindeks": (need_key("sf_indeks_i_alt"), VALUE),
                                    "Ændring (%)": (need_key("sf_aendring_pct_i_alt"), VALUE),
                                    "Kr. pr. elev": (need_key("sf_kr_pr_elev_i_alt"), VALUE)})


@register("tblScenarieIndstillinger", description="Scenarier: de fire indstillinger (ingen tal om personer)")
def _scenario_settings(t: TableView) -> None:
    t.label("Scenarie", "Navn", "Med gulve")
    for i, key, _ in t.rows("Scenarie"):
        for col in ("Andel efter elevtal", "Samlet budget (kr.)"):
            if t.has(col):
                t.public(need_key("scenarie", key, col), t.shown_number(i, col), label=f"scenarie {key}: {col}")
                t.value(i, col, need_key("scenarie", key, col), where=f"scenarie {key}")


@register("tblScenarier", description="Scenarier: budget pr. distrikt under fire indstillinger")
def _scenarios(t: TableView) -> None:
    t.label("Navn")
    scen = [c for c in t.columns if c.startswith("Scenarie ") and c.endswith("(kr.)")]
    for i, d, where in district_rows(t):
        declare_district(t, d)
        w = unit_text(d)
        cur = t.value(i, "Nuværende budget (kr.)", need_key("nuvaerende", d), where=where) \
            if t.has("Nuværende budget (kr.)") else None
        for col in scen:
            s = col[len("Scenarie "):-len(" (kr.)")]
            b = t.value(i, col, need_key("scenarie_budget", d, s), population=n(d), where=where)
            if t.once(("need-scenario", d, s)):
                t.depends(b, [E(d), n(d)], why=f"scenarie {s} følger nøglen og elevtallet ({w})")
            ch_col = f"Ændring {s} (kr.)"
            if t.has(ch_col):
                ch = t.value(i, ch_col, need_key("scenarie_aendring", d, s), population=n(d), where=where)
                if cur is not None:
                    t.linear({ch: 1, b: -1, cur: 1}, why=f"ændring = scenarie {s} − nuværende budget ({w})", out=ch)
    i = total_row(t)
    if i is not None:
        t.sum_row(i)


# --- Udvikling (last year against this year) --------------------------------------------------------------------
@register("tblUdvikling", description="Udvikling fra sidste år: elever, nøgle og budget sidste år og i år")
def _development(t: TableView) -> None:
    t.label("Navn")
    for i, d, where in district_rows(t):
        declare_district(t, d)
        w = unit_text(d)
        n0 = t.count(i, "Elever sidste år", need_key("elever_sidste_aar", d), label=f"elever sidste år i {w}",
                     where=where)
        t.count(i, "Elever i år", n(d), where=where)
        k0 = t.value(i, "Behovsnøgle sidste år", need_key("noegle_sidste_aar", d), population=n0, where=where)
        k1 = t.value(i, "Behovsnøgle i år", need_key("andel_forventet", d), where=where)
        b0 = t.value(i, "Budget sidste år (kr.)", need_key("budget_sidste_aar", d), population=n0, where=where)
        b1 = t.value(i, "Budget i år (kr.)", need_key("budget_aar", d), population=n(d), where=where)
        if t.once(("need-dev", d)):
            t.depends(b1, [E(d), n(d)], why=f"årets budget følger nøglen ({w})")
        ch = t.value(i, "Ændring (kr.)", need_key("aendring_kr", d), population=n(d), where=where)
        t.linear({ch: 1, b1: -1, b0: 1}, why=f"ændring = budget i år − sidste år ({w})", out=ch)
        pct = t.value(i, "Ændring (%)", need_key("aendring_pct", d), population=n(d), where=where)
        rel = t.unpublished(need_key("budget_forhold", d), VALUE, population=n(d))
        t.ratio(rel, b1, b0, why=f"budget i år / sidste år ({w})")
        t.linear({pct: 1, rel: -1}, -1.0, why=f"ændring i % = budget i år / sidste år − 1 ({w})", out=pct)
        p0 = t.value(i, "Kr. pr. elev sidste år", need_key("kr_pr_elev_sidste_aar", d), population=n0,
                     where=where)
        t.ratio(p0, b0, n0, why=f"kr. pr. elev sidste år ({w})")
        p1 = t.value(i, "Kr. pr. elev i år", need_key("kr_pr_elev", d), population=n(d), where=where)
        t.ratio(p1, b1, n(d), why=f"kr. pr. elev i år ({w})")
        dk = t.value(i, "Ændring i nøglen (procentpoint)", need_key("aendring_noegle", d), population=n(d),
                     where=where)
        t.linear({dk: 1, k1: -100, k0: 100}, why=f"ændring i nøglen = 100 · (i år − sidste år) ({w})", out=dk)
        parts = []
        for col, tag in (("Heraf elevtal (procentpoint)", "heraf_elevtal"),
                         ("Heraf behov pr. elev (procentpoint)", "heraf_behov"),
                         ("Heraf modellen (procentpoint)", "heraf_model")):
            if t.has(col):
                k = t.value(i, col, need_key(tag, d), population=n(d), where=where)
                t.depends(k, [n(d), E(d), n0], why=f"delingen af ændringen bygger på distriktets tal ({w})")
                parts.append(k)
        if len(parts) == 3:
            t.linear({dk: 1, **{k: -1 for k in parts}}, why=f"de tre dele summer til ændringen i nøglen ({w})")
    i = total_row(t)
    if i is not None:
        t.sum_row(i, special={"Ændring (%)": (need_key("aendring_pct_i_alt"), VALUE),
                              "Kr. pr. elev sidste år": (need_key("kr_pr_elev_sidste_aar_i_alt"), VALUE),
                              "Kr. pr. elev i år": (need_key("kr_pr_elev_i_alt"), VALUE)})


# --- Model -----------------------------------------------------------------------------------------------------
@register("tblModeltilpasning", description="Modellens tilpasning (landsmodellen)")
def _fit(t: TableView) -> None:
    t.label("Nøgletal", "Værdi")
    for i, label, where in t.rows("Nøgletal"):
        if label == "N":
            t.count(i, "Værdi", need_key("model_n"), where=f"rækken '{label}'")


@register("tblRelativeVaegte", description="Tabel 3.1: relative vægte (landsmodellen, ingen kommunale tal)")
def _weights(t: TableView) -> None:
    t.category(*t.columns)


@register("tblLeveranceForklaringskraft", description="Leverancen: Tabel 3.2 (andel fanget, AUC)")
@register("tblForklaringskraft", description="Tabel 3.2: andel fanget blandt de 10 % laveste/højeste")
def _power(t: TableView) -> None:
    t.label("Population")
    M = MUNICIPALITY
    declare_unit(t, M)
    for i, label, where in t.rows("Population"):
        if label.startswith("Hele landet"):
            t.label("10 % med laveste sandsynlighed", "10 % med højeste sandsynlighed", "AUC")
            continue
        where = f"rækken '{label}'"
        for col, tag, what in (("10 % med laveste sandsynlighed", "lav", "laveste"),
                               ("10 % med højeste sandsynlighed", "hoej", "højeste")):
            k = t.unpublished(need_key("fanget", tag), COUNT, label=f"segregerede elever blandt de 10 % med "
                                                                    f"{what} sandsynlighed")
            rest = t.unpublished(need_key("ikke_fanget", tag), COUNT,
                                 label=f"segregerede elever uden for de 10 % med {what} sandsynlighed")
            share = t.value(i, col, need_key("andel_fanget", tag), where=where, lo=0, hi=1)
            if t.once(("need-power", tag)):
                t.ratio(share, k, A(M), why=f"andel fanget = fangede / alle segregerede ({what} 10 %)")
                t.linear({k: 1, rest: 1, A(M): -1}, why="fangede + ikke fangede = alle segregerede")
                t.leq(k, A(M))
        t.value(i, "AUC", need_key("auc"), population=A(M), where=where)


# --- Beskrivende -------------------------------------------------------------------------------------------------
def _desc_declare(t: TableView, label: str, unit: str, share: bool):
    """Variables of one descriptive row for one unit: a count (shares) or a sum (means)."""
    w = unit_text(unit)
    if share:
        c = t.unpublished(need_key("besk_antal", label, unit), COUNT, label=f"{label}: antal elever i {w}")
        nc = t.unpublished(need_key("besk_ikke", label, unit), COUNT, label=f"{label}: øvrige elever i {w}")
        sh = t.unpublished(need_key("besk_andel", label, unit), VALUE)
        if t.once(("need-desc", label, unit)):
            t.ratio(sh, c, n(unit), why=f"andel = antal / elever ({label}, {w})")
            t.linear({c: 1, nc: 1, n(unit): -1}, why=f"antal + øvrige = elever ({label}, {w})")
        return sh
    s = t.unpublished(need_key("besk_sum", label, unit), VALUE, population=n(unit), label=f"{label}: summen i {w}")
    m = t.unpublished(need_key("besk_gns", label, unit), VALUE, population=n(unit),
                      label=f"{label}: gennemsnit i {w}")
    if t.once(("need-desc", label, unit)):
        t.ratio(m, s, n(unit), why=f"gennemsnit = sum / elever ({label}, {w})")
    return m


@register("tblBeskrivende", description="Tabel 3.3: de vigtigste variable, kommunen mod landet")
def _descriptives(t: TableView) -> None:
    _descriptives_spec(t, points=True)


@register("tblLeveranceBeskrivende", description="Leverancen: Tabel 3.3 (andele som brøker)")
def _delivery_descriptives(t: TableView) -> None:
    _descriptives_spec(t, points=False)


def _descriptives_spec(t: TableView, *, points: bool) -> None:
    """Tabel 3.3; ``points``: a share's difference is shown in percentage points (the shared copy), else as a
    fraction (the delivery)."""
    t.category("Beskrivelse", "Enhed", "Variabel", "Kategori")
    M = MUNICIPALITY
    declare_unit(t, M)
    for i, label, _ in t.rows("Beskrivelse"):
        where = f"rækken '{label}'"
        share = norm_key(t.raw(i, "Enhed")).lower() == "andel"
        mk = _desc_declare(t, label, M, share)
        t.value(i, "Kommunen", mk, where=where)
        nat = need_key("besk_land", label)
        t.facts.var(nat, VALUE)
        status, value, _ = parse_cell(t.raw(i, "Hele landet"))
        t.public(nat, value)
        t.claimed.add("Hele landet")
        if t.has("Forskel (i enheden)"):
            # a share's difference is shown in percentage points (×100), other variables' in their unit
            k = 100.0 if share and points else 1.0
            diff = t.value(i, "Forskel (i enheden)", need_key("besk_forskel", label), where=where)
            t.linear({diff: 1, mk: -k, nat: k}, why=f"forskel = kommunen − landet ({label})", out=diff)
            if t.has("Forskel (i % af landstal)"):
                rel = t.value(i, "Forskel (i % af landstal)", need_key("besk_forskel_rel", label), where=where)
                t.ratio(rel, diff, nat, 1.0 / k, why=f"forskel i % = forskel / landstal ({label})")


def district_names(tables) -> dict[str, str]:
    """District name → code, from any published table with both ``Distrikt`` and ``Navn``."""
    out: dict[str, str] = {}
    for frame in tables.values():
        cols = [str(c) for c in frame.columns]
        if "Distrikt" in cols and "Navn" in cols:
            for code, name in zip(frame["Distrikt"].tolist(), frame["Navn"].tolist()):
                c, nm = norm_key(code), norm_key(name)
                if c and nm and c != TOTAL_ROW:
                    out.setdefault(nm, c)
                    out.setdefault(c, c)
    return out


@register("tblBeskrivendeDistrikter", description="Bilag 3: de vigtigste variable pr. distrikt")
def _district_descriptives(t: TableView) -> None:
    t.category("Beskrivelse", "Enhed")
    names = district_names(t.tables)
    columns = [c for c in t.columns if c not in ("Beskrivelse", "Enhed")]
    codes = {}
    for col in columns:
        code = names.get(col)
        if code is None:
            t.problem(f"kolonnen '{col}' kan ikke knyttes til et distrikt (intet distrikt med det navn i de "
                      "delte tabeller)", f"kolonnen '{col}'")
            continue
        codes[col] = code
        declare_district(t, code)
    for i, label, _ in t.rows("Beskrivelse"):
        share = norm_key(t.raw(i, "Enhed")).lower() == "andel"
        for col, d in codes.items():
            k = _desc_declare(t, label, d, share)
            t.value(i, col, k, population=None if share else n(d),
                    where=f"rækken '{label}', distrikt '{d}'")


@register("tblLeveranceBeskrivendeDistrikter", description="Leverancen: Bilag 3 (pr. distrikt og variabel)")
def _delivery_district_descriptives(t: TableView) -> None:
    t.category("Beskrivelse", "Enhed", "Variabel", "Kategori")
    t.label("Navn")
    for i, d, where in district_rows(t):
        declare_district(t, d)
        label = norm_key(t.raw(i, "Beskrivelse"))
        share = norm_key(t.raw(i, "Enhed")).lower() == "andel"
        k = _desc_declare(t, label, d, share)
        t.value(i, "Gennemsnit", k, population=None if share else n(d),
                where=f"rækken for distrikt '{d}', '{label}'")


# --- identities across tables ---------------------------------------------------------------------------------
@register_identities
def _identities(facts, tables) -> None:
    V = facts.vars
    units = {k[2] for k in V if k[0] == NS and k[1] == "elever"}
    districts = sorted(u for u in units if u not in (MUNICIPALITY, DISTRICTS, OUTSIDE))
    if not districts:
        return
    have_municipal = any(k[0] == NS and k[2] == MUNICIPALITY for k in V if len(k) > 2)
    view = TableView("(identiteter)", _EMPTY, facts, tables)
    declare_unit(view, DISTRICTS)
    for m in ("elever", "su", "forventet"):
        facts.total(need_key(m, DISTRICTS), [need_key(m, d) for d in districts],
                    why=f"distrikterne i alt = summen af distrikterne ({m})")
    if have_municipal or (DISTRICTS in units and MUNICIPALITY in units):
        declare_unit(view, MUNICIPALITY)
        declare_unit(view, OUTSIDE)
        for m in ("elever", "su", "forventet"):
            facts.total(need_key(m, MUNICIPALITY), [need_key(m, DISTRICTS), need_key(m, OUTSIDE)],
                        why=f"kommunen = distrikterne + elever uden distrikt ({m})")
        out = V[n(OUTSIDE)]
        facts.assumed.add(n(OUTSIDE))
        if out.status == UNPUBLISHED and not _all_pupil_counts_shown(facts):
            # not published and not derivable: a reader is assumed to know it (the pupil route: none)
            out.status = PUBLIC
            out.value = 0.0
        # descriptives: municipality = districts + outside
        labels = sorted({k[2] for k in V if k[0] == NS and k[1] in ("besk_antal", "besk_sum")})
        for label in labels:
            for m in ("besk_antal", "besk_sum"):
                parts = [need_key(m, label, d) for d in districts if need_key(m, label, d) in V]
                if need_key(m, label, MUNICIPALITY) not in V or not parts:
                    continue
                rest = need_key(m, label, OUTSIDE)
                facts.var(rest, COUNT if m == "besk_antal" else VALUE, population=n(OUTSIDE),
                          label=f"{label}: elever uden distrikt")
                facts.total(need_key(m, label, MUNICIPALITY), parts + [rest],
                            why=f"kommunen = distrikterne + elever uden distrikt ({label})")
                facts.leq(rest, n(OUTSIDE))
                if m == "besk_sum":
                    facts.vars[rest].lo = 0.0 if facts.vars[rest].lo < 0 else facts.vars[rest].lo


def _all_pupil_counts_shown(facts) -> bool:
    V = facts.vars
    nm = V.get(n(MUNICIPALITY))
    parts = [v for k, v in V.items() if k[0] == NS and k[1] == "elever"
             and k[2] not in (MUNICIPALITY, DISTRICTS, OUTSIDE) and len(k) == 3]
    return nm is not None and nm.status == SHOWN and all(p.status == SHOWN for p in parts)


import pandas as _pd  # noqa: E402

_EMPTY = _pd.DataFrame()

_ = PRIMARY, SECONDARY
