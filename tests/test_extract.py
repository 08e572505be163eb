import hashlib
from collections import Counter

from lib.prepare.extract import SourceTree, functions_in_source, mine_tree, python_files
from lib.prepare.parallel import ordered_map

SOURCE = '''
def top(a):
    """Top-level function."""
    def inner():
        """Nested: part of its parent."""
    return a

class Shape:
    @property
    def area(self):
        """Area."""
        return 1

    class Inner:
        def deep(self):
            """Deep method."""
            return "é"

def undocumented():
    return 0
'''


def test_functions_and_methods_with_docstrings_are_found():
    found = {name: (code, doc) for name, code, doc, _ in functions_in_source(SOURCE)}
    assert list(found) == ["top", "Shape.area", "Shape.Inner.deep"]
    assert found["Shape.area"][0].startswith("def area(self):\n        ")  # no decorator, CodeSearchNet layout
    assert found["Shape.Inner.deep"][0].endswith('return "é"')


def make_tree(root):
    package = root / "pkg"
    for relative, text in {"mod.py": SOURCE, "tests/test_mod.py": SOURCE, "test_x.py": SOURCE,
                           "sub/broken.py": "def f(:\n", "sub/latin.py": b"# -*- coding: latin-1 -*-\ns = '\xe9'\n"}.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return SourceTree("pkg-1.0", root, package)


def test_test_folders_and_files_are_skipped(tmp_path):
    names = [path.relative_to(tmp_path).as_posix() for path in python_files(make_tree(tmp_path))]
    assert names == ["pkg/mod.py", "pkg/sub/broken.py", "pkg/sub/latin.py"]


def test_mining_counts_bad_files_and_is_deterministic(tmp_path):
    tree = make_tree(tmp_path)
    skipped = Counter()
    rows = list(mine_tree(tree, skipped))
    assert skipped == {"file does not decode or parse": 1}
    assert [row["func_name"] for row in rows] == ["top", "Shape.area", "Shape.Inner.deep"]
    assert rows[0]["repo"] == "pkg-1.0" and rows[0]["path"] == "pkg/mod.py" and rows[0]["url"] == "pkg-1.0/pkg/mod.py#L2"
    digest = lambda: hashlib.sha256(repr(list(mine_tree(tree, Counter()))).encode()).hexdigest()
    assert digest() == digest()


def test_mining_in_processes_gives_the_same_rows_in_the_same_order(tmp_path):
    tree = make_tree(tmp_path)
    skipped = Counter()
    with ordered_map(2) as map_:
        assert list(mine_tree(tree, skipped, map_)) == list(mine_tree(tree, Counter()))
    assert skipped == {"file does not decode or parse": 1}
