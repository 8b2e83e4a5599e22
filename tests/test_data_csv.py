"""load_csv and save_csv: layouts, label mapping, and the errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chainrule.data import load_csv, save_csv, spiral


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_header_with_text_labels(tmp_path: Path) -> None:
    path = write(tmp_path, "x1,x2,label\n0.5,-1.0,dog\n2,3,cat\n\n4.5,6e-1,dog\n")
    X, y, info = load_csv(path)
    assert X.dtype == np.float32 and X.shape == (3, 2)
    np.testing.assert_allclose(X, [[0.5, -1.0], [2.0, 3.0], [4.5, 0.6]])
    assert y.dtype == np.int64 and y.tolist() == [1, 0, 1]
    assert info.class_names == ["cat", "dog"]
    assert info.label_map == {"cat": 0, "dog": 1}
    assert info.feature_names == ["x1", "x2"]
    assert (info.problem, info.num_classes, info.source) == ("classification", 2, "csv")


def test_numeric_labels_sort_numerically(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b,c,target\n1,2,3,10\n4,5,6,-1\n7,8,9,2\n1,1,1,2.0\n")
    X, y, info = load_csv(path)  # "target" is found by name
    assert X.shape == (4, 3)
    assert info.class_names == ["-1", "2", "10"]
    assert y.tolist() == [2, 0, 1, 1]


def test_label_column_by_name_and_index(tmp_path: Path) -> None:
    path = write(tmp_path, "kind,x1,x2\nA,1,2\nB,3,4\n")
    X, y, info = load_csv(path, label_column="kind")
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    assert info.feature_names == ["x1", "x2"] and y.tolist() == [0, 1]
    X0, y0, _ = load_csv(path, label_column=0)
    np.testing.assert_array_equal(X0, X)
    np.testing.assert_array_equal(y0, y)


def test_no_header_defaults_to_last_column(tmp_path: Path) -> None:
    path = write(tmp_path, "1,2,1\n3,4,-1\n5,6,1\n")
    X, y, info = load_csv(path)
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [5, 6]])
    assert y.tolist() == [1, 0, 1]  # the playground's -1/+1 become 0/1
    assert info.feature_names == ["x1", "x2"]


def test_regression_targets(tmp_path: Path) -> None:
    path = write(tmp_path, "x,y_value,label\n1,2,0.25\n3,4,-1.5\n")
    _, y, info = load_csv(path, problem="regression")
    assert y.dtype == np.float32 and y.tolist() == [0.25, -1.5]
    assert info.problem == "regression" and info.num_classes is None


def test_semicolon_delimiter_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("\ufeffx1;x2;label\n1;2;a\n", encoding="utf-8")
    X, _, info = load_csv(path, delimiter=";")
    assert X.shape == (1, 2) and info.feature_names == ["x1", "x2"]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    X, y = spiral(50, noise=0.1, seed=0)
    path = tmp_path / "spiral.csv"
    save_csv(path, X, y)
    X2, y2, info = load_csv(path)
    np.testing.assert_array_equal(X2, X)  # float32 -> repr -> float32 is exact
    np.testing.assert_array_equal(y2, y)
    save_csv(path, X, y, class_names=["blue", "orange"])
    _, y3, info = load_csv(path)
    np.testing.assert_array_equal(y3, y)
    assert info.class_names == ["blue", "orange"]


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("", {}, "is empty"),
        ("\n\n  \n", {}, "is empty"),
        ("x1,x2,label\n", {}, "no data rows"),
        ("x1,x2,label\n1,2,a\n3,oops,b\n", {},
         r"line 3, 'x2' \(column 1\): 'oops' is not a finite number"),
        ("1,2,a\n3,,b\n", {}, r"line 2, column 1: '' is not"),
        ("x1,x2,label\n1,nan,a\n", {}, "'nan' is not a finite number"),
        ("x1,x2,label\n1,2,a\n3,4\n", {}, "line 3 has 2 cells, but line 1 has 3"),
        ("x1,x2,label\n1,2,a\n", {"label_column": "class"},
         r"no column named 'class'; the columns are \['x1', 'x2', 'label'\]"),
        ("1,2,a\n", {"label_column": "label"}, "no header row"),
        ("1,2,a\n", {"label_column": 3}, "out of range for 3 columns"),
        ("x1,x2,label\n1,2,\n", {}, "an empty label"),
        ("x1,x2,label\n1,2,big\n", {"problem": "regression"}, "'big' is not a number"),
        ("label\na\n", {}, "needs at least one feature column"),
        ("x1,label\n1,a\n", {"problem": "ranking"}, "problem must be one of"),
    ],
)  # fmt: skip
def test_errors(tmp_path: Path, text: str, kwargs: dict, match: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=match):
        load_csv(path, **kwargs)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file.*missing.csv"):
        load_csv(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="is not a file"):
        load_csv(tmp_path)
