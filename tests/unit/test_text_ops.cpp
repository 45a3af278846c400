// The core text ops (StringNormalizer, StringConcat, StringSplit, TfIdfVectorizer) through a real
// Session. Split expectations are Python's str.split; TfIdfVectorizer tables were cross-checked
// with the ONNX reference implementation. RegexFullMatch lives in libonnxi_extras, which this
// binary does not link: the conformance cases test it.
#include <functional>
#include <string>
#include <vector>

#include "op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor strings(const std::vector<std::string>& v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, std::move(shape));
}

std::vector<std::string> string_values(const Tensor& t) {
  REQUIRE(t.dtype() == DataType::String);
  return std::vector<std::string>(t.data<std::string>(), t.data<std::string>() + t.numel());
}

Tensor normalize(const Tensor& x, std::vector<Attribute> attrs) {
  return run_node(NodeRun{"StringNormalizer", std::move(attrs), 10}, {Value(x)})[0].tensor();
}

}  // namespace

// ---- StringNormalizer ---------------------------------------------------------------------------

TEST_CASE("StringNormalizer drops stopwords ignoring case by default, then changes case") {
  Tensor y = normalize(strings({"Monday", "TUESDAY", "monday", "x"}),
                       {attr_strings("stopwords", {"MONDAY"}), attr_string("case_change_action", "LOWER")});
  CHECK(y.shape() == Shape{2});
  CHECK(string_values(y) == std::vector<std::string>{"tuesday", "x"});
}

TEST_CASE("StringNormalizer case-sensitive stopwords keep other spellings") {
  Tensor y = normalize(strings({"Monday", "monday", "Tuesday"}),
                       {attr_strings("stopwords", {"monday"}), attr_int("is_case_sensitive", 1)});
  CHECK(string_values(y) == std::vector<std::string>{"Monday", "Tuesday"});
}

TEST_CASE("StringNormalizer maps non-ASCII letters and passes malformed UTF-8 through") {
  Tensor up = normalize(strings({"élan", "привет", "αβγ", "straße", std::string("\xff") + "a"}),
                        {attr_string("case_change_action", "UPPER")});
  CHECK(string_values(up) ==
        std::vector<std::string>{"ÉLAN", "ПРИВЕТ", "ΑΒΓ", "STRAßE", std::string("\xff") + "A"});
  Tensor low = normalize(strings({"ÀÉÎ Öl", "ΣΟΦΙΑ"}, {1, 2}),
                         {attr_string("case_change_action", "LOWER"), attr_string("locale", "en_US")});
  CHECK(low.shape() == Shape{1, 2});
  CHECK(string_values(low) == std::vector<std::string>{"àéî öl", "σοφια"});
}

TEST_CASE("StringNormalizer output when everything or nothing is dropped") {
  Tensor row = normalize(strings({"a", "A"}, {1, 2}), {attr_strings("stopwords", {"a"})});
  CHECK(row.shape() == Shape{1, 1});
  CHECK(string_values(row) == std::vector<std::string>{""});
  Tensor flat = normalize(strings({"a"}), {attr_strings("stopwords", {"a"})});
  CHECK(flat.shape() == Shape{1});
  CHECK(string_values(flat) == std::vector<std::string>{""});
  Tensor empty = normalize(Tensor(DataType::String, {0}), {attr_strings("stopwords", {"a"})});
  CHECK(empty.shape() == Shape{0});
  Tensor same = normalize(strings({"", "b"}), {});
  CHECK(string_values(same) == std::vector<std::string>{"", "b"});
}

TEST_CASE("StringNormalizer rejects bad shapes, attributes and types naming the node") {
  std::string e = error_of([] { normalize(strings({"a", "b"}, {2, 1}), {}); });
  CHECK(e.find("node0") != std::string::npos);
  CHECK(e.find("[1, C]") != std::string::npos);
  e = error_of([] { normalize(strings({"a"}), {attr_string("case_change_action", "TITLE")}); });
  CHECK(e.find("case_change_action") != std::string::npos);
  e = error_of([] { normalize(Tensor::from_vector<int64_t>({1}, {1}), {}); });
  CHECK(e.find("string") != std::string::npos);
}

// ---- StringConcat --------------------------------------------------------------------------------

TEST_CASE("StringConcat broadcasts both ways") {
  auto out = run_node(NodeRun{"StringConcat", {}, 20},
                      {Value(strings({"a", "b"}, {2, 1})), Value(strings({"x", "y", "z"}, {3}))});
  const Tensor& z = out[0].tensor();
  CHECK(z.shape() == Shape{2, 3});
  CHECK(string_values(z) == std::vector<std::string>{"ax", "ay", "az", "bx", "by", "bz"});

  auto scalar = run_node(NodeRun{"StringConcat", {}, 20},
                         {Value(strings({"pre-"}, Shape{})), Value(strings({"中", ""}, {2}))});
  CHECK(string_values(scalar[0].tensor()) == std::vector<std::string>{"pre-中", "pre-"});

  auto empty = run_node(NodeRun{"StringConcat", {}, 20},
                        {Value(Tensor(DataType::String, {0, 2})), Value(strings({"s"}, {1}))});
  CHECK(empty[0].tensor().shape() == Shape{0, 2});
}

TEST_CASE("StringConcat rejects shapes that do not broadcast and non-string inputs") {
  std::string e = error_of([] {
    run_node(NodeRun{"StringConcat", {}, 20}, {Value(strings({"a", "b"})), Value(strings({"x", "y", "z"}))});
  });
  CHECK(e.find("broadcast") != std::string::npos);
  e = error_of([] {
    run_node(NodeRun{"StringConcat", {}, 20}, {Value(strings({"a"})), Value(Tensor::from_vector<float>({1.f}, {1}))});
  });
  CHECK(e.find("string") != std::string::npos);
}

// ---- StringSplit ---------------------------------------------------------------------------------

namespace {

struct SplitCase {
  std::vector<Attribute> attrs;
  std::string input;
  std::vector<std::string> pieces;
};

std::vector<Value> split(const Tensor& x, std::vector<Attribute> attrs) {
  NodeRun spec{"StringSplit", std::move(attrs), 20};
  spec.num_outputs = 2;
  return run_node(spec, {Value(x)});
}

}  // namespace

TEST_CASE("StringSplit follows Python's str.split") {
  const std::vector<SplitCase> cases = {
      {{attr_string("delimiter", "::")}, "a::b::::c", {"a", "b", "", "c"}},
      {{attr_string("delimiter", "-"), attr_int("maxsplit", 1)}, "a-b-c", {"a", "b-c"}},
      {{attr_string("delimiter", "-")}, "", {""}},
      {{attr_string("delimiter", "-"), attr_int("maxsplit", 0)}, "a-b", {"a-b"}},
      {{attr_string("delimiter", "-"), attr_int("maxsplit", -1)}, "-a-", {"", "a", ""}},
      {{}, "  a  b  c  ", {"a", "b", "c"}},
      {{attr_int("maxsplit", 1)}, "  a  b  c  ", {"a", "b  c  "}},
      {{attr_int("maxsplit", 0)}, "  a b ", {"a b "}},
      {{}, "   ", {}},
      {{}, "a\xe3\x80\x80" "b\tc\n", {"a", "b", "c"}},  // U+3000 IDEOGRAPHIC SPACE separates too
      {{attr_string("delimiter", "")}, "x y", {"x", "y"}},
  };
  for (const SplitCase& c : cases) {
    CAPTURE(c.input);
    auto out = split(strings({c.input}), c.attrs);
    const auto n = static_cast<int64_t>(c.pieces.size());
    CHECK(out[0].tensor().shape() == Shape{1, n});
    CHECK(string_values(out[0].tensor()) == c.pieces);
    CHECK(values<int64_t>(out[1].tensor()) == std::vector<int64_t>{n});
  }
}

TEST_CASE("StringSplit pads to the longest split and keeps the input's shape") {
  auto out = split(strings({"a b c", "d", "", "e f"}, {2, 2}), {});
  CHECK(out[0].tensor().shape() == Shape{2, 2, 3});
  CHECK(string_values(out[0].tensor()) ==
        std::vector<std::string>{"a", "b", "c", "d", "", "", "", "", "", "e", "f", ""});
  CHECK(out[1].tensor().shape() == Shape{2, 2});
  CHECK(values<int64_t>(out[1].tensor()) == std::vector<int64_t>{3, 1, 0, 2});

  auto none = split(strings({"", " "}), {});
  CHECK(none[0].tensor().shape() == Shape{2, 0});
  CHECK(values<int64_t>(none[1].tensor()) == std::vector<int64_t>{0, 0});

  auto empty = split(Tensor(DataType::String, {2, 0}), {attr_string("delimiter", ",")});
  CHECK(empty[0].tensor().shape() == Shape{2, 0, 0});
  CHECK(empty[1].tensor().shape() == Shape{2, 0});
}

// ---- TfIdfVectorizer -----------------------------------------------------------------------------

namespace {

Tensor tfidf(const Tensor& x, std::vector<Attribute> attrs) {
  return run_node(NodeRun{"TfIdfVectorizer", std::move(attrs), 9}, {Value(x)})[0].tensor();
}

// Pool of unigrams a, b, c and bigrams (a b), (b c), written to output columns in reverse order.
std::vector<Attribute> string_pool_attrs(const std::string& mode, std::vector<float> weights = {}) {
  std::vector<Attribute> attrs = {
      attr_string("mode", mode),
      attr_int("min_gram_length", 1),
      attr_int("max_gram_length", 2),
      attr_int("max_skip_count", 0),
      attr_ints("ngram_counts", {0, 3}),
      attr_ints("ngram_indexes", {4, 3, 2, 1, 0}),
      attr_strings("pool_strings", {"a", "b", "c", "a", "b", "b", "c"}),
  };
  if (!weights.empty()) attrs.push_back(attr_floats("weights", std::move(weights)));
  return attrs;
}

Tensor string_rows() { return strings({"a", "b", "c", "a", "b", "c", "c", "x", "b", "c"}, {2, 5}); }

}  // namespace

TEST_CASE("TfIdfVectorizer TF, IDF and TFIDF over a string pool") {
  const std::vector<float> w = {0.5f, 1.5f, 2.f, 3.f, 4.f};
  Tensor tf = tfidf(string_rows(), string_pool_attrs("TF"));
  CHECK(tf.shape() == Shape{2, 5});
  CHECK(values<float>(tf) == std::vector<float>{1, 2, 1, 2, 2, 1, 0, 3, 1, 0});
  CHECK(values<float>(tfidf(string_rows(), string_pool_attrs("IDF", w))) ==
        std::vector<float>{0.5f, 1.5f, 2, 3, 4, 0.5f, 0, 2, 3, 0});
  CHECK(values<float>(tfidf(string_rows(), string_pool_attrs("IDF"))) ==
        std::vector<float>{1, 1, 1, 1, 1, 1, 0, 1, 1, 0});
  CHECK(values<float>(tfidf(string_rows(), string_pool_attrs("TFIDF", w))) ==
        std::vector<float>{0.5f, 3, 2, 6, 8, 0.5f, 0, 6, 3, 0});
}

TEST_CASE("TfIdfVectorizer skips and gram lengths over an int pool") {
  // Unigrams 1, 2; bigrams (1 2), (2 3); trigram (1 2 3): output columns 0..4.
  struct Case {
    int64_t min_gram;
    int64_t max_skip;
    std::vector<float> expected;
  };
  const std::vector<Case> cases = {
      {1, 0, {2, 3, 2, 2, 2, 3, 2, 1, 0, 0}},
      {1, 2, {2, 3, 3, 2, 2, 3, 2, 2, 1, 0}},
      {2, 1, {0, 0, 2, 2, 2, 0, 0, 1, 1, 0}},
      {3, 2, {0, 0, 0, 0, 2, 0, 0, 0, 0, 0}},
  };
  Tensor x = Tensor::from_vector<int64_t>({1, 2, 3, 1, 2, 3, 2, 3, 2, 1, 3, 1, 2, 1}, {2, 7});
  for (const Case& c : cases) {
    CAPTURE(c.min_gram);
    CAPTURE(c.max_skip);
    Tensor y = tfidf(x, {attr_string("mode", "TF"), attr_int("min_gram_length", c.min_gram),
                         attr_int("max_gram_length", 3), attr_int("max_skip_count", c.max_skip),
                         attr_ints("ngram_counts", {0, 2, 6}), attr_ints("ngram_indexes", {0, 1, 2, 3, 4}),
                         attr_ints("pool_int64s", {1, 2, 1, 2, 2, 3, 1, 2, 3})});
    CHECK(values<float>(y) == c.expected);
  }
}

TEST_CASE("TfIdfVectorizer 1-D int32 input and the spec's skip example") {
  // [94, 17, 36, 12, 28] with skips up to 2 holds the 2-grams (94 12) and (17 28); with 1, neither.
  Tensor x = Tensor::from_vector<int32_t>({94, 17, 36, 12, 28}, {5});
  auto attrs = [](int64_t skip) {
    return std::vector<Attribute>{attr_string("mode", "TF"), attr_int("min_gram_length", 2),
                                  attr_int("max_gram_length", 2), attr_int("max_skip_count", skip),
                                  attr_ints("ngram_counts", {0, 0}), attr_ints("ngram_indexes", {0, 1}),
                                  attr_ints("pool_int64s", {94, 12, 17, 28})};
  };
  Tensor y = tfidf(x, attrs(2));
  CHECK(y.shape() == Shape{2});
  CHECK(values<float>(y) == std::vector<float>{1, 1});
  CHECK(values<float>(tfidf(x, attrs(1))) == std::vector<float>{0, 0});

  // A scalar is one token; an empty batch gives an empty batch.
  std::vector<Attribute> unigrams = {attr_string("mode", "TF"), attr_int("min_gram_length", 1),
                                     attr_int("max_gram_length", 1), attr_int("max_skip_count", 0),
                                     attr_ints("ngram_counts", {0}), attr_ints("ngram_indexes", {0, 1}),
                                     attr_ints("pool_int64s", {5, 7})};
  CHECK(values<float>(tfidf(Tensor::scalar_i64(7), unigrams)) == std::vector<float>{0, 1});
  CHECK(tfidf(Tensor(DataType::Int64, {0, 3}), unigrams).shape() == Shape{0, 2});
}

TEST_CASE("TfIdfVectorizer rejects inconsistent attributes and mismatched inputs") {
  auto base = [] {
    return std::vector<Attribute>{attr_string("mode", "TF"), attr_int("min_gram_length", 1),
                                  attr_int("max_gram_length", 1), attr_int("max_skip_count", 0),
                                  attr_ints("ngram_counts", {0}), attr_ints("ngram_indexes", {0, 1}),
                                  attr_ints("pool_int64s", {5, 7})};
  };
  Tensor ints = Tensor::from_vector<int64_t>({5}, {1});
  std::string e = error_of([&] { tfidf(strings({"a"}), base()); });
  CHECK(e.find("node0") != std::string::npos);
  CHECK(e.find("pool_int64s") != std::string::npos);

  auto bad_mode = base();
  bad_mode[0] = attr_string("mode", "BM25");
  CHECK(error_of([&] { tfidf(ints, bad_mode); }).find("TF, IDF or TFIDF") != std::string::npos);

  auto short_indexes = base();
  short_indexes[5] = attr_ints("ngram_indexes", {0});
  CHECK(error_of([&] { tfidf(ints, short_indexes); }).find("ngram_indexes") != std::string::npos);

  auto bad_counts = base();
  bad_counts[4] = attr_ints("ngram_counts", {0, 9});
  CHECK(error_of([&] { tfidf(ints, bad_counts); }).find("ngram_counts") != std::string::npos);

  auto few_weights = base();
  few_weights.push_back(attr_floats("weights", {1.f}));
  CHECK(error_of([&] { tfidf(ints, few_weights); }).find("weights") != std::string::npos);

  auto both_pools = base();
  both_pools.push_back(attr_strings("pool_strings", {"a"}));
  CHECK(error_of([&] { tfidf(ints, both_pools); }).find("exactly one") != std::string::npos);

  CHECK(error_of([&] { tfidf(Tensor::from_vector<int64_t>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2}), base()); })
            .find("[N, C]") != std::string::npos);
}
