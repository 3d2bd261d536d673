// The bitmap font: glyph sizes, distinct glyphs, the pixels drawn at a scale, unknown characters.
#include "trainers/plot/bitmap_font.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace strata {
namespace {

int lit(char c) {
  int n = 0;
  for_each_text_pixel(std::string(1, c), 0, 0, 1, [&](int, int) { ++n; });
  return n;
}

TEST(BitmapFont, GlyphsAreDistinctAndInsideTheirCell) {
  EXPECT_EQ(lit(' '), 0);
  EXPECT_EQ(lit('|'), 7);  // a full column
  EXPECT_EQ(lit('-'), 5);  // a full row
  EXPECT_EQ(lit('.'), 4);  // a 2 x 2 dot
  EXPECT_NE(lit('A'), 0);
  std::set<std::vector<uint8_t>> seen;
  for (int c = 32; c <= 126; ++c) {
    const uint8_t* rows = glyph_rows(static_cast<char>(c));
    std::vector<uint8_t> g(rows, rows + kGlyphHeight);
    for (const uint8_t r : g) EXPECT_EQ(r & ~0x1F, 0) << "glyph " << c << " is wider than 5";
    EXPECT_TRUE(seen.insert(g).second || c == 32)
        << "glyph '" << static_cast<char>(c) << "' repeats another";
  }
}

TEST(BitmapFont, ABDiffer) {
  const uint8_t* a = glyph_rows('A');
  const uint8_t* b = glyph_rows('B');
  EXPECT_FALSE(std::equal(a, a + kGlyphHeight, b));
}

TEST(BitmapFont, DescendersBelowTheBaseline) {
  auto lowest = [](char c) {
    int y_max = -1;
    for_each_text_pixel(std::string(1, c), 0, 0, 1,
                        [&](int, int y) { y_max = std::max(y_max, y); });
    return y_max;
  };
  EXPECT_EQ(lowest('a'), kGlyphCapHeight - 1);
  EXPECT_EQ(lowest('p'), kGlyphHeight - 1);
  EXPECT_EQ(lowest('y'), kGlyphHeight - 1);
}

TEST(BitmapFont, ScaleAndAdvance) {
  std::set<std::pair<int, int>> one, two;
  for_each_text_pixel("I", 0, 0, 1, [&](int x, int y) { one.insert({x, y}); });
  for_each_text_pixel("I", 10, 20, 2, [&](int x, int y) { two.insert({x, y}); });
  EXPECT_EQ(two.size(), 4 * one.size());
  for (const auto& [x, y] : one) {
    EXPECT_TRUE(two.count({10 + 2 * x, 20 + 2 * y}));
    EXPECT_TRUE(two.count({10 + 2 * x + 1, 20 + 2 * y + 1}));
  }
  EXPECT_EQ(text_width("", 3), 0);
  EXPECT_EQ(text_width("A", 1), kGlyphWidth);
  EXPECT_EQ(text_width("AB", 2), 2 * (kGlyphAdvance + kGlyphWidth));
  int x_min = 1000;  // the second glyph starts one advance to the right
  for_each_text_pixel(" I", 0, 0, 1, [&](int x, int) { x_min = std::min(x_min, x); });
  EXPECT_EQ(x_min, kGlyphAdvance + 1);  // 'I' has its first column empty
}

TEST(BitmapFont, UnknownCharactersAreQuestionMarks) {
  EXPECT_EQ(glyph_rows('\x01'), glyph_rows('?'));
  EXPECT_EQ(glyph_rows('\x7f'), glyph_rows('?'));
  EXPECT_EQ(glyph_rows(static_cast<char>(0xC3)), glyph_rows('?'));
}

}  // namespace
}  // namespace strata
