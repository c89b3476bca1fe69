"""Sphinx configuration of the skl_nirs documentation.

Build with ``sphinx-build -W --keep-going -b html doc doc/_build/html``. The
build needs no network: there is no intersphinx inventory to download.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import skl_nirs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # document the sources next to this file

# -- Project -----------------------------------------------------------------

project = "skl_nirs"
author = "The skl_nirs developers"
copyright = "The skl_nirs developers"
release = skl_nirs.__version__
version = release.split(".dev")[0]

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "**/*.py.md5"]
default_role = "literal"
root_doc = "index"

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skl_nirs {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    "header_links_before_dropdown": 6,
    "icon_links": [],
}
html_static_path = []
html_show_sourcelink = False

# -- Command line ------------------------------------------------------------

# cli.rst includes the --help of each command, as the installed command prints
# it, so that the page cannot drift from the code.
CLI_HELP = HERE / "generated" / "cli"
CLI_HELP.mkdir(parents=True, exist_ok=True)
for command in ("demo", "fit", "predict"):
    help_text = subprocess.run(
        [sys.executable, "-m", "skl_nirs", command, "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "88"},
    ).stdout
    path = CLI_HELP / f"{command}.txt"
    if not path.exists() or path.read_text() != help_text:
        path.write_text(help_text)

# ... and what `skl-nirs demo` prints, with the report figure it saves (run once
# per build tree: delete doc/generated to refresh it).
DEMO_ARGS = ["--n-samples", "150", "--n-trials", "4", "--quiet"]
if not (CLI_HELP / "demo_output.txt").exists():
    with tempfile.TemporaryDirectory() as demo_dir:
        demo_output = subprocess.run(
            [sys.executable, "-m", "skl_nirs", "demo", *DEMO_ARGS, "--out", demo_dir],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "COLUMNS": "88"},
        ).stdout
        report = Path(demo_dir) / "skl_nirs_demo_report.png"
        shutil.copyfile(report, CLI_HELP / "demo_report.png")
    demo_output = demo_output.replace(demo_dir, "demo")
    command_line = " ".join(["$ skl-nirs demo", *DEMO_ARGS, "--out demo"])
    (CLI_HELP / "demo_output.txt").write_text(f"{command_line}\n{demo_output}")

# -- Example gallery ---------------------------------------------------------

# Worker processes started by the examples (loky, Dask) inherit this.
os.environ.setdefault("MPLBACKEND", "Agg")

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "ignore_pattern": r"__init__\.py",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "subsection_order": [
        "../examples/preprocessing",
        "../examples/compose",
        "../examples/model_selection",
        "../examples/parallelism",
        "../examples/scaling_out",
        "../examples/persistence",
    ],
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skl_nirs",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skl_nirs": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "plot_gallery": "True",
}

# -- References to scikit-learn's documentation --------------------------------

# Docstrings -- ours and those inherited from scikit-learn -- use scikit-learn's
# glossary terms (:term:`fit`) and a few of its labels. Without intersphinx
# (this build must not need the network), link them to scikit-learn's pages
# directly. Any other unresolved :term: or :ref: still fails the build.
SKLEARN_DOC = "https://scikit-learn.org/stable/"
SKLEARN_LABELS = {
    "metadata_routing": "metadata_routing.html",
    "accuracy_score": "modules/model_evaluation.html#accuracy-score",
    "df_output_transform": "auto_examples/miscellaneous/plot_set_output.html",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": (
        "auto_examples/miscellaneous/plot_set_output.html"
    ),
}


def _sklearn_reference(app, env, node, contnode):
    from docutils import nodes

    target = node.get("reftarget", "")
    if node.get("refdomain") != "std":
        return None
    if node.get("reftype") == "term":
        anchor = "term-" + "-".join(target.split())  # Sphinx's glossary ids
        uri = f"{SKLEARN_DOC}glossary.html#{anchor}"
    elif node.get("reftype") == "ref" and target in SKLEARN_LABELS:
        uri = SKLEARN_DOC + SKLEARN_LABELS[target]
    else:
        return None
    reference = nodes.reference("", "", internal=False, refuri=uri)
    reference += contnode
    return reference


def setup(app):
    app.connect("missing-reference", _sklearn_reference)
