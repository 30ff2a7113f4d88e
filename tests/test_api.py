"""Every public name of the core is reachable under each TF namespace that has it in TF 2.21
(recorded by tests/fixtures/make_api_fixture.py)."""

import json
from pathlib import Path

import pytest

import tapeflow as tf

API = json.loads((Path(__file__).parent / "fixtures" / "api_tf.json").read_text())
NAMESPACES = {
    "tf": tf,
    "tf.math": tf.math,
    "tf.nn": tf.nn,
    "tf.linalg": tf.linalg,
    "tf.random": tf.random,
    "tf.dtypes": tf.dtypes,
    "tf.autodiff": tf.autodiff,
}


@pytest.mark.parametrize("name", sorted(API))
def test_name_is_where_tf_has_it(name):
    missing = [ns for ns in API[name] if not hasattr(NAMESPACES[ns], name)]
    assert not missing, f"{name} is missing from {missing}"
