"""Regenerate the bundled demonstration coefficients (src/tildeling/data/demo_koefficienter.csv).

They are fitted on the full synthetic nation (seed 2016), never on register data:
    python benchmarks/make_demo_coefficients.py
"""

from pathlib import Path

from tildeling.catalogue import NATIONAL_SPEC
from tildeling.io.coefficients import write_coefficients
from tildeling.model.national import fit_national
from tildeling.synth.national import make_national

OUT = Path(__file__).resolve().parents[1] / "src" / "tildeling" / "data" / "demo_koefficienter.csv"

if __name__ == "__main__":
    data = make_national(seed=2016)
    model = fit_national(data.pupils, NATIONAL_SPEC, school_year="2015/16 (syntetisk)",
                         data_source="Syntetiske registerdata (tildeling synth, frø 2016) – DEMONSTRATION",
                         progress=print)
    model.coefficients.metadata["Bemærk"] = ("Demonstrationskoefficienter estimeret på syntetiske data. "
                                             "Erstat dem med koefficienter fra en rigtig national model.")
    write_coefficients(model.coefficients, OUT)
    print("skrev", OUT)
