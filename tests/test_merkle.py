"""Property tests of the RFC 9162 math against a from-scratch reference."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from hallmark.ledger import merkle


def reference_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return merkle.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def tree(n: int) -> tuple[list[bytes], dict[tuple[int, int], bytes]]:
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(n)]
    return leaves, merkle.perfect_nodes_from_leaves(leaves)


@given(st.integers(min_value=0, max_value=300))
def test_root_matches_reference_and_frontier(n: int) -> None:
    leaves, nodes = tree(n)
    root = merkle.root_hash(n, lambda lv, i: nodes[(lv, i)])
    assert root == reference_root(leaves)
    frontier = [nodes[key] for key in merkle.frontier_nodes(n)]
    assert merkle.root_from_frontier(frontier) == root


@given(st.integers(min_value=1, max_value=300), st.data())
def test_inclusion_proofs_verify_and_detect_tampering(n: int, data: st.DataObject) -> None:
    leaves, nodes = tree(n)
    get = nodes.__getitem__
    root = merkle.root_hash(n, lambda lv, i: get((lv, i)))
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    proof = merkle.inclusion_proof(i, n, lambda lv, j: get((lv, j)))
    assert len(proof) <= max(1, (n - 1).bit_length())
    assert merkle.verify_inclusion(i, n, leaves[i], proof, root)
    assert not merkle.verify_inclusion(i, n, merkle.leaf_hash(b"other"), proof, root)
    if n > 1:
        assert not merkle.verify_inclusion((i + 1) % n, n, leaves[i], proof, root)
    if proof:
        bad = list(proof)
        bad[0] = bytes(32)
        assert not merkle.verify_inclusion(i, n, leaves[i], bad, root)


@given(st.integers(min_value=1, max_value=200), st.data())
def test_consistency_proofs(n: int, data: st.DataObject) -> None:
    m = data.draw(st.integers(min_value=1, max_value=n))
    leaves, nodes = tree(n)
    get = lambda lv, i: nodes[(lv, i)]  # noqa: E731
    old_root, new_root = merkle.root_hash(m, get), merkle.root_hash(n, get)
    proof = merkle.consistency_proof(m, n, get)
    assert merkle.verify_consistency(m, n, old_root, new_root, proof)
    # A rewritten history (different first leaf) is not consistent with the old root.
    forged = merkle.perfect_nodes_from_leaves([merkle.leaf_hash(b"x")] + leaves[1:])
    fget = lambda lv, i: forged[(lv, i)]  # noqa: E731
    forged_proof = merkle.consistency_proof(m, n, fget)
    assert not merkle.verify_consistency(m, n, old_root, merkle.root_hash(n, fget), forged_proof)


def test_the_store_seeds_the_log_head_with_the_empty_root() -> None:
    # store/db.py computes it itself (the store sits below the ledger); both must agree.
    from hallmark.store import db

    assert db.EMPTY_ROOT == merkle.EMPTY_ROOT == reference_root([])
