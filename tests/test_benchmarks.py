import hashlib

from common.benchmark_sets import HUMANEVAL_PATH, MBPP_PATH, MBPPPLUS_PATH, load_humaneval, load_mbpp, load_mbppplus

HASHES = {MBPP_PATH: "143559fa164408d45cab058238471288b0e447507ce55db3057c56113d9dccb4",
          MBPPPLUS_PATH: "f7ac9d4027a26c771c06d2e0129636a76d11b95decc7a676c6a7bb52daf2ed95",
          HUMANEVAL_PATH: "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef"}


def test_vendored_sets_are_the_published_files():
    for path, digest in HASHES.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path


def test_loaders():
    assert len(load_mbpp()) == 974 and len(load_humaneval()) == 164
    plus = load_mbppplus()
    assert len(plus) == 399 and all(isinstance(t["base_input"], list) and isinstance(t["plus_input"], list) for t in plus)
    by_id = {t["task_id"]: t for t in plus}
    assert isinstance(by_id["Mbpp/106"]["base_input"][0][1], tuple)  # EvalPlus' per-task tuple decoding
