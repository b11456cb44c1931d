"""`tildeling fit` reads the Parquet file in the background while pandas is imported (io/parquet.py).

The prefetch must change nothing: the same frame, and for a broken file the same Danish message as without it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tildeling.catalogue import NATIONAL_SPEC
from tildeling.cli import main
from tildeling.columns import fit_columns
from tildeling.errors import InputError
from tildeling.io.parquet import Prefetch
from tildeling.io.tables import read_table

from conftest import random_pupils


@pytest.fixture(scope="module")
def national_file(tmp_path_factory):
    frame, _ = random_pupils(3000, seed=21)
    frame["Ekstra"] = "x"                                      # a column fit does not read
    path = tmp_path_factory.mktemp("pq") / "landsdata.parquet"
    frame.to_parquet(path, index=False)
    return path


def test_prefetched_table_gives_the_same_frame(national_file):
    cols = fit_columns(NATIONAL_SPEC)
    plain, _ = read_table(national_file, columns=cols)
    fetched, _ = read_table(national_file, columns=cols, prefetched=Prefetch(national_file, cols))
    pd.testing.assert_frame_equal(fetched, plain)
    assert "Ekstra" not in fetched.columns


def test_prefetch_for_other_columns_is_not_used(national_file):
    cols = fit_columns(NATIONAL_SPEC)
    other = Prefetch(national_file, cols[:3])
    frame, _ = read_table(national_file, columns=cols, prefetched=other)
    assert list(frame.columns) == list(read_table(national_file, columns=cols)[0].columns)


def test_broken_file_gets_the_same_danish_message_with_prefetch(tmp_path, national_file):
    broken = tmp_path / "landsdata.parquet"
    broken.write_bytes(national_file.read_bytes()[:-200] + b"PAR1")   # the footer is gone, the magic is there
    cols = fit_columns(NATIONAL_SPEC)
    with pytest.raises(InputError) as plain:
        read_table(broken, columns=cols)
    with pytest.raises(InputError) as fetched:
        read_table(broken, columns=cols, prefetched=Prefetch(broken, cols))
    assert str(fetched.value) == str(plain.value)
    assert "landsdata.parquet" in str(plain.value)


def test_fit_command_on_a_missing_parquet_file(tmp_path, capsys):
    code = main(["fit", str(tmp_path / "findes_ikke.parquet"), "--out", str(tmp_path / "k.csv"), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert "findes_ikke.parquet" in err and "Traceback" not in err
    assert not (tmp_path / "k.csv").exists()
