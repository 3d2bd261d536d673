// A 5 x 7 bitmap font for the printable ASCII characters (32..126), with two rows below the
// baseline for the descenders of g, j, p, q, y and the comma, drawn at an integer scale: enough
// for the numbers and labels of a chart without a font library. Other characters are drawn as
// '?'.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace strata {

constexpr int kGlyphWidth = 5;      // pixels of a glyph at scale 1
constexpr int kGlyphCapHeight = 7;  // rows above the baseline (digits, capitals)
constexpr int kGlyphHeight = 9;     // rows in all, with the descenders
constexpr int kGlyphAdvance = 6;    // from one character to the next, at scale 1

// The kGlyphHeight rows of character c, top first; bit 4 of a row is its leftmost pixel.
const uint8_t* glyph_rows(char c);

// Width in pixels of `text` on one line at `scale` (no spacing after the last glyph), and the
// height of a line: capitals and descenders.
int text_width(const std::string& text, int scale);
inline int text_height(int scale) {
  return kGlyphHeight * scale;
}

// Calls set(x, y) for each lit pixel of `text` with its top-left corner at (left, top); x grows
// to the right and y downwards. The caller maps (x, y) onto its canvas (and may rotate it).
void for_each_text_pixel(const std::string& text, int left, int top, int scale,
                         const std::function<void(int x, int y)>& set);

}  // namespace strata
