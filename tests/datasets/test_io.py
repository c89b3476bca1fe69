"""Tests of load_spectra_csv, each through pandas' reader and through csv's."""

import csv

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skl_nirs.datasets import _io, load_spectra_csv, make_nirs_regression

HEADER = "id,protein,grade,1100,1102,1104\n"
ROWS = "A,12.5,high,0.31,0.32,0.34\nB,9.1,low,0.29,0.30,0.31\n"


@pytest.fixture(autouse=True, params=["pandas", "csv"])
def reader(request, monkeypatch):
    """Run each test with pandas' fast path, and with pandas unavailable."""
    if request.param == "pandas":
        pytest.importorskip("pandas")
    else:
        monkeypatch.setattr(_io, "_pandas", lambda: None)
    return request.param


def _write(tmp_path, text, name="spectra.csv", **kwargs):
    path = tmp_path / name
    path.write_text(text, **kwargs)
    return path


def test_round_trip_with_make_nirs_regression(tmp_path):
    X, y, wavelengths = make_nirs_regression(30, 50, random_state=0)
    path = tmp_path / "spectra.csv"
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["sample", *map(repr, wavelengths.tolist()), "moisture"])
        for i, (spectrum, target) in enumerate(zip(X, y.tolist(), strict=True)):
            writer.writerow([f"S{i:03d}", *map(repr, spectrum.tolist()), repr(target)])

    X_read, y_read, wavelengths_read = load_spectra_csv(path, target="moisture")
    assert X_read.dtype == y_read.dtype == wavelengths_read.dtype == np.float64
    assert_array_equal(X_read, X)
    assert_array_equal(y_read, y)
    assert_array_equal(wavelengths_read, wavelengths)


def test_metadata_columns_are_ignored_and_target_is_numeric(tmp_path):
    path = _write(tmp_path, HEADER + ROWS)
    X, y, wavelengths = load_spectra_csv(path, target="protein")
    assert_array_equal(X, [[0.31, 0.32, 0.34], [0.29, 0.30, 0.31]])
    assert_array_equal(y, [12.5, 9.1])
    assert y.dtype == np.float64
    assert_array_equal(wavelengths, [1100, 1102, 1104])


def test_string_target_stays_strings(tmp_path):
    path = _write(tmp_path, HEADER + ROWS)
    _, y, _ = load_spectra_csv(path, target="grade")
    assert y.dtype == object
    assert_array_equal(y, ["high", "low"])


def test_numeric_class_labels_become_floats(tmp_path):
    path = _write(tmp_path, "class,1000,1001\n1,0.1,0.2\n2,0.3,0.4\n")
    _, y, _ = load_spectra_csv(path, target="class")
    assert_array_equal(y, [1.0, 2.0])
    assert y.dtype == np.float64


def test_several_targets(tmp_path):
    path = _write(
        tmp_path,
        "id,fat,1100,1102,1104,protein,grade\n"
        "A,3.0,0.31,0.32,0.34,12.5,high\nB,4.0,0.29,0.30,0.31,9.1,low\n",
    )
    X, Y, _ = load_spectra_csv(path, target=["protein", "fat"])
    assert X.shape == (2, 3)
    assert Y.dtype == np.float64
    assert_array_equal(Y, [[12.5, 3.0], [9.1, 4.0]])

    _, Y, _ = load_spectra_csv(path, target=["protein", "grade"])
    assert Y.dtype == object
    assert Y.shape == (2, 2)
    assert_array_equal(Y, [["12.5", "high"], ["9.1", "low"]])

    _, Y, _ = load_spectra_csv(path, target=["fat"])
    assert Y.shape == (2, 1)


def test_numeric_target_header_is_not_a_wavelength(tmp_path):
    path = _write(tmp_path, "1100,1102,2000\n0.1,0.2,7\n0.3,0.4,8\n")
    X, y, wavelengths = load_spectra_csv(path, target="2000")
    assert_array_equal(wavelengths, [1100, 1102])
    assert_array_equal(y, [7, 8])
    assert X.shape == (2, 2)


def test_wavelength_columns_need_not_be_contiguous(tmp_path):
    path = _write(
        tmp_path, "1100,id,1102,y,1.104e3\n0.1,a,0.2,5,0.3\n0.4,b,0.5,6,0.6\n"
    )
    X, y, wavelengths = load_spectra_csv(path, target="y")
    assert_array_equal(X, [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    assert_array_equal(wavelengths, [1100, 1102, 1104])

    path = _write(tmp_path, "id,1100,y\na,0.1,5\nb,0.4,6\n", name="one.csv")
    X, _, wavelengths = load_spectra_csv(path, target="y")
    assert_array_equal(X, [[0.1], [0.4]])
    assert_array_equal(wavelengths, [1100])


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_delimiter(tmp_path, delimiter):
    text = (HEADER + ROWS).replace(",", delimiter)
    path = _write(tmp_path, text)
    X, y, wavelengths = load_spectra_csv(path, target="protein", delimiter=delimiter)
    assert X.shape == (2, 3)
    assert_array_equal(y, [12.5, 9.1])


def test_byte_order_mark_blank_lines_quotes_and_spaces(tmp_path):
    text = (
        '\n"id", protein ,"1100", 1102\n\nA,12.5, 0.31 ,0.32\n\n"B,2",9.1,0.29,0.30\n\n'
    )
    path = _write(tmp_path, text, encoding="utf-8-sig")
    X, y, wavelengths = load_spectra_csv(path, target="protein")
    assert_array_equal(X, [[0.31, 0.32], [0.29, 0.30]])
    assert_array_equal(y, [12.5, 9.1])
    assert_array_equal(wavelengths, [1100, 1102])


def test_nan_cells_are_missing_values(tmp_path):
    path = _write(tmp_path, "y,1100,1102\n1,nan,0.2\n")
    with pytest.warns(UserWarning, match="1 spectrum values, the first at line 2"):
        X, _, _ = load_spectra_csv(path, target="y")
    assert np.isnan(X[0, 0])
    assert X[0, 1] == 0.2


def test_non_finite_headers_are_not_wavelengths(tmp_path):
    path = _write(tmp_path, "y,nan,inf,1100\n1,a,b,0.2\n")
    X, _, wavelengths = load_spectra_csv(path, target="y")
    assert_array_equal(wavelengths, [1100])


def test_as_frame(tmp_path):
    pd = pytest.importorskip("pandas")
    path = _write(tmp_path, HEADER + ROWS)
    X, y, wavelengths = load_spectra_csv(path, target="protein", as_frame=True)
    assert isinstance(X, pd.DataFrame)
    assert_array_equal(X.columns.astype(float), wavelengths)
    assert list(X.columns) == HEADER.strip().split(",")[3:]
    assert isinstance(y, pd.Series)
    assert y.name == "protein"
    _, Y, _ = load_spectra_csv(path, target=["protein", "grade"], as_frame=True)
    assert list(Y.columns) == ["protein", "grade"]


# --- errors ---------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_spectra_csv(tmp_path / "absent.csv", target="y")


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_empty_file(tmp_path, text):
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match="spectra.csv' is empty"):
        load_spectra_csv(path, target="y")


def test_header_only(tmp_path):
    path = _write(tmp_path, HEADER)
    with pytest.raises(ValueError, match="has no data row"):
        load_spectra_csv(path, target="protein")


def test_no_wavelength_column(tmp_path):
    path = _write(tmp_path, "id,protein\nA,1\n")
    with pytest.raises(ValueError, match="No wavelength column .* no column header is"):
        load_spectra_csv(path, target="protein")


def test_missing_target_column(tmp_path):
    path = _write(tmp_path, HEADER + ROWS)
    with pytest.raises(ValueError, match="Target column 'moisture' not found"):
        load_spectra_csv(path, target="moisture")
    with pytest.raises(ValueError, match="Target column 'moisture' not found"):
        load_spectra_csv(path, target=["protein", "moisture"])


def test_duplicated_target_column(tmp_path):
    path = _write(tmp_path, "y,1100,y\n1,0.1,2\n")
    with pytest.raises(ValueError, match="Target column 'y' appears more than once"):
        load_spectra_csv(path, target="y")


def test_duplicated_wavelength(tmp_path):
    path = _write(tmp_path, "y,1100,1100.0\n1,0.1,0.2\n")
    with pytest.raises(
        ValueError, match="Columns '1100' and '1100.0' name the same wavelength 1100"
    ):
        load_spectra_csv(path, target="y")


@pytest.mark.parametrize(
    "rows, match",
    [
        (
            "A,12.5,high,0.31,0.32\n",
            "Line 2: expected 6 fields as in the header, got 5",
        ),
        ("A,1,h,0.1,0.2,0.3\n\nB,1,h,0.1,0.2,0.3,9\n", "Line 4: expected 6 fields"),
        (
            "A,1,h,0.1,0.2,0.3\nB,1,h,0.1,abc,0.3\n",
            "Line 3, column '1102': 'abc' is not",
        ),
        ("A,1,h,0.1,0.2,0.3\nB,1,h,0.1,0.2,\n", "Line 3, column '1104': empty value"),
        ("A,,h,0.1,0.2,0.3\n", "Line 2, column 'protein': empty target value"),
        ('"A\nA",1,h,0.1,0.2,0.3\nB,1,h,x,0.2,0.3\n', "Line 4, column '1100'"),
    ],
)
def test_malformed_rows_name_the_line(tmp_path, rows, match):
    path = _write(tmp_path, HEADER + rows)
    with pytest.raises(ValueError, match=match):
        load_spectra_csv(path, target="protein")


@pytest.mark.parametrize(
    "params, match",
    [
        ({"target": 3}, "'target' parameter of load_spectra_csv"),
        ({"target": []}, "'target' parameter must be a str or a non-empty list"),
        ({"target": ["a", 1]}, "'target' parameter must be a str or a non-empty"),
        ({"target": ["a", "a"]}, "'target' parameter names a column twice"),
        ({"target": "y", "delimiter": ";;"}, "'delimiter' parameter must be a single"),
        ({"target": "y", "delimiter": 1}, "'delimiter' parameter"),
        ({"target": "y", "as_frame": "no"}, "'as_frame' parameter"),
    ],
)
def test_invalid_parameters(tmp_path, params, match):
    path = _write(tmp_path, HEADER + ROWS)
    with pytest.raises(ValueError, match=match):
        load_spectra_csv(path, **params)


def test_invalid_path_type():
    with pytest.raises(TypeError, match="'path' parameter of load_spectra_csv"):
        load_spectra_csv(12, target="y")


def test_target_is_keyword_only(tmp_path):
    path = _write(tmp_path, HEADER + ROWS)
    with pytest.raises(TypeError, match="positional"):
        load_spectra_csv(path, "protein")


def test_spectra_only(tmp_path):
    path = _write(tmp_path, HEADER + ROWS)
    X, y, wavelengths = load_spectra_csv(path)
    assert y is None
    assert_array_equal(wavelengths, [1100, 1102, 1104])
    # without a target, a numeric-looking target header is a wavelength again
    assert X.shape == (2, 3)


def test_wrong_delimiter_gets_a_hint(tmp_path):
    path = _write(tmp_path, (HEADER + ROWS).replace(",", ";"))
    with pytest.raises(ValueError, match=r"delimiter ';'\? Pass it as delimiter"):
        load_spectra_csv(path, target="protein")
    X, y, _ = load_spectra_csv(path, target="protein", delimiter=";")
    assert X.shape == (2, 3)


@pytest.mark.parametrize("reader", ["pandas"], indirect=True)
def test_clean_files_take_the_pandas_path(tmp_path, monkeypatch):
    def fail(*args):
        raise AssertionError("read by csv")

    monkeypatch.setattr(_io, "_read_with_csv", fail)
    X, y, _ = load_spectra_csv(_write(tmp_path, HEADER + ROWS), target="protein")
    assert_array_equal(X, [[0.31, 0.32, 0.34], [0.29, 0.30, 0.31]])
    assert_array_equal(y, [12.5, 9.1])


# --- sample ids -----------------------------------------------------------------


def test_id_column_is_a_fourth_value(tmp_path):
    path = _write(tmp_path, HEADER + ROWS.replace("B,", " B ,"))
    X, y, wavelengths, ids = load_spectra_csv(path, target="grade", id_column="id")
    assert ids.dtype == object
    assert_array_equal(ids, ["A", "B"])
    assert_array_equal(y, ["high", "low"])
    assert X.shape == (2, 3)


def test_ids_may_repeat_and_be_numbers(tmp_path):
    path = _write(tmp_path, "7,y,1100\n12,1,0.1\n12,2,0.2\n")
    X, _, wavelengths, ids = load_spectra_csv(path, target="y", id_column="7")
    assert_array_equal(ids, ["12", "12"])  # str, as written
    assert_array_equal(wavelengths, [1100])  # a numeric id header is no wavelength


def test_ids_index_the_frames(tmp_path):
    pd = pytest.importorskip("pandas")
    path = _write(tmp_path, HEADER + ROWS)
    X, Y, _, ids = load_spectra_csv(
        path, target=["protein", "grade"], id_column="id", as_frame=True
    )
    assert isinstance(ids, pd.Index) and ids.name == "id"
    assert list(X.index) == list(Y.index) == ["A", "B"]
    _, y, _, _ = load_spectra_csv(path, target="protein", id_column="id", as_frame=True)
    assert list(y.index) == ["A", "B"]


def test_id_column_errors(tmp_path):
    path = _write(tmp_path, HEADER + ROWS)
    with pytest.raises(ValueError, match="Id column 'sample' not found in the head"):
        load_spectra_csv(path, id_column="sample")
    with pytest.raises(ValueError, match="'id_column' parameter names a target"):
        load_spectra_csv(path, target="protein", id_column="protein")
    with pytest.raises(ValueError, match="'id_column' parameter of load_spectra"):
        load_spectra_csv(path, id_column=0)
    path = _write(tmp_path, HEADER + ROWS + " ,1,h,0.1,0.2,0.3\n", name="empty.csv")
    with pytest.raises(ValueError, match="Line 4, column 'id': empty sample id value"):
        load_spectra_csv(path, id_column="id")
    path = _write(tmp_path, "id,1100,id\nA,0.1,B\n", name="twice.csv")
    with pytest.raises(ValueError, match="Id column 'id' appears more than once"):
        load_spectra_csv(path, id_column="id")


# --- values the two readers must see alike ----------------------------------------


@pytest.mark.parametrize("value", ["inf", "-Infinity", "1e400"])
def test_infinite_spectrum_values_name_line_and_column(tmp_path, value):
    path = _write(tmp_path, HEADER + ROWS + f"C,1,h,0.1,{value},0.3\n")
    match = f"Line 4, column '1102': '{value}' is not a finite number"
    with pytest.raises(ValueError, match=match):
        load_spectra_csv(path, target="protein")


def test_non_finite_targets(tmp_path):
    path = _write(tmp_path, HEADER + ROWS + "C,inf,h,0.1,0.2,0.3\n")
    with pytest.raises(ValueError, match="Line 4, column 'protein': 'inf' is not"):
        load_spectra_csv(path, target="protein")
    path = _write(tmp_path, HEADER + ROWS + "C,nan,h,nan,0.2,nan\n", name="nan.csv")
    with pytest.warns(
        UserWarning,
        match=r"2 spectrum values, the first at line 4, column '1100'; 1 target "
        r"values, the first at line 4, column 'protein'",
    ) as record:
        X, y, _ = load_spectra_csv(path, target="protein")
    assert record[0].filename == __file__
    assert np.isnan(y[2]) and np.isnan(X[2, [0, 2]]).all()


@pytest.mark.parametrize(
    "rows, match",
    [
        ("C,1,h,0.1,TRUE,0.3\n", "Line 4, column '1102': 'TRUE' is not a number"),
        ("C,1,h,0.1,NA,0.3\n", "Line 4, column '1102': 'NA' is not a number"),
        (" \nC,1,h,0.1,0.2,0.3\n", "Line 4: expected 6 fields as in the header, got"),
        ("C,1,h,0.1,0.2\n", "Line 4: expected 6 fields as in the header, got 5"),
        ("C,1,h,0.1,0.2,0.3,\n", "Line 4: expected 6 fields as in the header, got 7"),
    ],
)
def test_cells_pandas_would_accept_are_errors(tmp_path, rows, match):
    path = _write(tmp_path, HEADER + ROWS + rows)
    with pytest.raises(ValueError, match=match):
        load_spectra_csv(path, target="protein")


def test_short_row_missing_an_ignored_column(tmp_path):
    path = _write(tmp_path, "1100,1102,comment\n0.1,0.2,ok\n0.3,0.4\n")
    with pytest.raises(ValueError, match="Line 3: expected 3 fields as in the header"):
        load_spectra_csv(path)


def test_first_row_longer_than_the_header(tmp_path):
    path = _write(tmp_path, "1100,1102\n0.1,0.2,0.3\n")
    with pytest.raises(ValueError, match="Line 2: expected 2 fields as in the header"):
        load_spectra_csv(path)


def test_blank_lines_and_header_after_blank_lines(tmp_path):
    path = _write(tmp_path, "\n\n" + HEADER + ROWS + "\n\n")
    X, y, wavelengths, ids = load_spectra_csv(path, target="protein", id_column="id")
    assert_array_equal(X, [[0.31, 0.32, 0.34], [0.29, 0.30, 0.31]])
    assert_array_equal(ids, ["A", "B"])
