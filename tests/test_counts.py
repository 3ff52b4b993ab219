"""TF-IDF matrices assembled from texts analysed once are the vectoriser's own, byte for byte."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from baselines import counts, run
from baselines.registry import BASELINES

VECTORISERS = {
    "words": lambda: TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
    "chars": lambda: TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1),
    "plain": lambda: TfidfVectorizer(),
    "no idf, l1": lambda: TfidfVectorizer(use_idf=False, norm="l1", lowercase=False),
}
UNSEEN = ["Zebras in Shenzhen? A text no article holds: 5G, SMIC & Huawei!", "", "  ", "ÄÖÜ straße"]


def same(a, b) -> bool:
    """The same sparse matrix down to storage: type, shape, dtypes, row pointers, entry order, values."""
    return (type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype
            and a.indices.dtype == b.indices.dtype and np.array_equal(a.indptr, b.indptr)
            and np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data)
            and a.has_sorted_indices == b.has_sorted_indices)


@pytest.fixture(scope="module")
def texts() -> np.ndarray:
    return run.load_task("stance").rows["input"].to_numpy(dtype=object)


@pytest.mark.parametrize("name", VECTORISERS)
def test_training_and_held_out_matrices_are_the_vectorisers_own(texts, name):
    make = VECTORISERS[name]
    analysed = counts.TextCounts(make())
    rng = np.random.default_rng(7)
    for _ in range(6):
        train = rng.random(len(texts)) < rng.uniform(0.2, 0.9)
        part = np.concatenate([texts[train], texts[train][:3]])  # repeated texts are rows of their own
        reference = make()
        fitted, matrix = analysed.fit_transform(part)
        assert same(reference.fit_transform(part), matrix)
        for held in (texts[~train], np.array(UNSEEN, dtype=object)):
            assert same(reference.transform(held), analysed.transform(fitted, held))


def test_no_vocabulary_or_no_rows_fail_as_the_vectoriser_does():
    with pytest.raises(ValueError, match="empty vocabulary"):
        TfidfVectorizer().fit_transform(["a", "b"])
    with pytest.raises(ValueError, match="empty vocabulary"):
        counts.TextCounts(TfidfVectorizer()).fit_transform(["a", "b"])
    analysed = counts.TextCounts(TfidfVectorizer())
    fitted, _ = analysed.fit_transform(["export controls", "entity list"])
    with pytest.raises(ValueError, match="0 sample"):
        TfidfVectorizer().fit(["export controls"]).transform([])
    with pytest.raises(ValueError, match="0 sample"):
        analysed.transform(fitted, [])


def test_only_what_it_reproduces_takes_the_shortcut():
    assert counts.supported([("tfidf", TfidfVectorizer())])
    for steps in ([("tfidf", TfidfVectorizer(min_df=2))], [("tfidf", TfidfVectorizer(max_df=0.9))],
                  [("tfidf", TfidfVectorizer(max_features=10))], [("tfidf", TfidfVectorizer(binary=True))],
                  [("tfidf", TfidfVectorizer(vocabulary=["us", "china"]))], [("counts", CountVectorizer())],
                  [("tfidf", TfidfVectorizer(dtype=np.float32))], [("a", TfidfVectorizer()), ("b", TfidfVectorizer())]):
        assert not counts.supported(steps), steps


@pytest.mark.parametrize("steps", [BASELINES["char_tfidf_logreg"].make("stance").steps[:-1],
                                   [("tfidf", TfidfVectorizer(min_df=2))]])
def test_the_run_feature_cache_gives_the_pipeline_matrices(texts, steps):
    """With or without the shortcut, the run's feature cache hands out what a Pipeline computes."""
    from sklearn.pipeline import Pipeline

    features = run.Features()
    train, held = texts[: len(texts) // 2], texts[len(texts) // 2:]
    pipeline = Pipeline([(n, type(s)(**s.get_params())) for n, s in steps])
    _, matrix = features.fit(steps, train)
    assert same(pipeline.fit_transform(train), matrix)
    assert same(pipeline.transform(held), features.transform(steps, train, held))
    assert features.fit(steps, train)[1] is matrix  # cached
