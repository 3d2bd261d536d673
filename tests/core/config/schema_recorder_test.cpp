// The schema recorder: sections, variants, scopes and defaults of the keys parsers read.
#include "core/config/schema_recorder.h"

#include <gtest/gtest.h>

#include "core/config/yaml_map.h"
#include "core/error.h"

namespace strata {
namespace {

const KeyUse* use_of(const SchemaRecorder& r, const std::string& section, const std::string& key) {
  for (const KeyUse& u : r.uses())
    if (u.section == section && u.key == key) return &u;
  return nullptr;
}

TEST(SchemaRecorder, RecordsSectionsTypesAndDefaults) {
  SchemaRecorder rec;
  const YamlMap root = YamlMap::parse("a: {n: 3}\nlist: [{x: 1}, {x: 2}]\n", "t.yaml");
  const YamlMap a = root.get_map("a");
  a.get_int("n", IntRange::positive());
  a.get_bool_or("flag", true);
  for (const YamlValue& v : root.get_list("list")) v.as_map().get_int_or("x", 7);
  root.find("absent");

  const KeyUse* n = use_of(rec, "a", "n");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->type, "a positive integer");
  EXPECT_EQ(n->default_text, "(required)");
  ASSERT_NE(use_of(rec, "a", "flag"), nullptr);
  EXPECT_EQ(use_of(rec, "a", "flag")->default_text, "true");
  ASSERT_NE(use_of(rec, "list[]", "x"), nullptr);  // list indices dropped
  EXPECT_EQ(use_of(rec, "list[]", "x")->default_text, "7");
  ASSERT_NE(use_of(rec, "", "absent"), nullptr);
  EXPECT_EQ(use_of(rec, "", "absent")->default_text, "(optional)");
  EXPECT_EQ(use_of(rec, "", "absent")->type, "");
}

TEST(SchemaRecorder, KindChoicesNameTheVariantOfTheKeysAfterThem) {
  SchemaRecorder rec;
  const YamlMap m = YamlMap::parse("kind: sgd\nlr: 0.1\nsub: {y: 1}\n", "t.yaml");
  m.get_choice("kind", {"sgd", "adam"});
  m.get_float("lr");
  m.get_map("sub").get_int("y");  // a sub-map inherits the variant
  EXPECT_EQ(use_of(rec, "", "kind")->variant, "");
  EXPECT_FALSE(use_of(rec, "", "kind")->own_variant);
  EXPECT_EQ(use_of(rec, "", "lr")->variant, "sgd");
  EXPECT_TRUE(use_of(rec, "", "lr")->own_variant);
  EXPECT_EQ(use_of(rec, "sub", "y")->variant, "sgd");
  EXPECT_FALSE(use_of(rec, "sub", "y")->own_variant);
}

TEST(SchemaRecorder, ScopesNameSharedSectionsAndRecordWhereTheyAreUsed) {
  SchemaRecorder rec;
  SchemaRecorder::set_context("gan");
  const YamlMap root = YamlMap::parse("models: {g: {units: 2}, d: {units: 3}}\n", "t.yaml");
  const YamlMap models = root.get_map("models");
  for (const char* k : {"g", "d"}) {
    const YamlMap s = models.get_map(k);
    const SchemaScope scope(s, "@model");
    s.get_int("units");
  }
  root.get_int_or("after", 1);  // outside the scopes again
  int units = 0;
  for (const KeyUse& u : rec.uses()) {
    if (u.key != "units") continue;
    ++units;
    EXPECT_EQ(u.section, "@model");
    EXPECT_EQ(u.variant, "");  // the context does not reach into a shared section
  }
  EXPECT_EQ(units, 2);
  ASSERT_EQ(rec.scopes().size(), 2u);
  EXPECT_EQ(rec.scopes()[0].at, "models.g");
  EXPECT_EQ(rec.scopes()[0].variant, "gan");
  EXPECT_EQ(rec.scopes()[1].at, "models.d");
  EXPECT_EQ(use_of(rec, "", "after")->variant, "gan");
}

TEST(SchemaRecorder, DefaultNoteReplacesValueDefaultsOnly) {
  SchemaRecorder rec;
  const YamlMap m = YamlMap::parse("a: 1\n", "t.yaml");
  {
    const SchemaDefaultNote note("as in the parent");
    m.get_int_or("b", 5);
    m.get_int("a");
  }
  m.get_int_or("c", 6);
  EXPECT_EQ(use_of(rec, "", "b")->default_text, "as in the parent");
  EXPECT_EQ(use_of(rec, "", "a")->default_text, "(required)");
  EXPECT_EQ(use_of(rec, "", "c")->default_text, "6");
}

TEST(SchemaRecorder, OffByDefaultAndOneAtATime) {
  EXPECT_EQ(SchemaRecorder::active(), nullptr);
  {
    SchemaRecorder rec;
    EXPECT_EQ(SchemaRecorder::active(), &rec);
    EXPECT_THROW(SchemaRecorder second, Error);
  }
  EXPECT_EQ(SchemaRecorder::active(), nullptr);
  SchemaRecorder::set_context("x");  // a no-op without a recorder
  const YamlMap m = YamlMap::parse("a: 1\n", "t.yaml");
  EXPECT_EQ(m.get_int("a"), 1);
}

TEST(SchemaRecorder, DropIndices) {
  EXPECT_EQ(drop_indices("model.layers[12].units"), "model.layers[].units");
  EXPECT_EQ(drop_indices("a[1][2]"), "a[][]");
  EXPECT_EQ(drop_indices("plain"), "plain");
}

}  // namespace
}  // namespace strata
