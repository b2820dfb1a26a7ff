#include "libs/market/decimal.h"

#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace vnstream::market {
namespace {

constexpr __int128 kMaxNanos =
    static_cast<__int128>(std::numeric_limits<int64_t>::max()) * kNanosPerUnit;

__int128 Pow10(int n) {
  __int128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

bool InRange(__int128 nanos) {
  return nanos <= kMaxNanos && nanos >= -kMaxNanos;
}

absl::Status BadNumber(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("not an exact decimal (", why, "): '", text, "'"));
}

}  // namespace

__int128 ToNanos(const v1::Decimal& d) {
  return static_cast<__int128>(d.units()) * kNanosPerUnit + d.nanos();
}

v1::Decimal FromNanos(__int128 nanos) {
  if (!InRange(nanos)) std::abort();  // No price or value is this large.
  v1::Decimal d;
  d.set_units(static_cast<int64_t>(nanos / kNanosPerUnit));
  d.set_nanos(static_cast<int32_t>(nanos % kNanosPerUnit));
  return d;
}

v1::Decimal MakeDecimal(int64_t units, int32_t nanos) {
  v1::Decimal d;
  d.set_units(units);
  d.set_nanos(nanos);
  return d;
}

absl::StatusOr<v1::Decimal> ParseDecimal(absl::string_view text) {
  absl::string_view s = absl::StripAsciiWhitespace(text);
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
  __int128 mantissa = 0;
  int digits = 0;
  int fraction_digits = 0;
  bool seen_point = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.' && !seen_point) {
      seen_point = true;
    } else if (absl::ascii_isdigit(c)) {
      if (mantissa == 0 && c == '0') {
        // Leading zeros do not count towards the precision limit.
      } else if (++digits > 30) {
        return BadNumber(text, "too many digits");
      }
      mantissa = mantissa * 10 + (c - '0');
      if (seen_point) ++fraction_digits;
    } else {
      break;
    }
  }
  if (digits == 0 && mantissa == 0 &&
      (i == 0 || !absl::ascii_isdigit(s[i - 1]))) {
    return BadNumber(text, "no digits");
  }
  int exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exponent_negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
      exponent_negative = s[i++] == '-';
    }
    if (i == s.size()) return BadNumber(text, "empty exponent");
    for (; i < s.size() && absl::ascii_isdigit(s[i]); ++i) {
      exponent = exponent * 10 + (s[i] - '0');
      if (exponent > 40) return BadNumber(text, "exponent out of range");
    }
    if (exponent_negative) exponent = -exponent;
  }
  if (i != s.size()) return BadNumber(text, "trailing characters");
  const int shift = exponent - fraction_digits + 9;  // To nanos.
  __int128 nanos = mantissa;
  if (shift >= 0) {
    if (shift > 30 || mantissa > kMaxNanos / Pow10(shift)) {
      return BadNumber(text, "out of range");
    }
    nanos *= Pow10(shift);
  } else {
    if (-shift > 36) {
      if (mantissa == 0) return MakeDecimal(0);
      return BadNumber(text, "more than 9 decimals");
    }
    const __int128 divisor = Pow10(-shift);
    if (mantissa % divisor != 0) return BadNumber(text, "more than 9 decimals");
    nanos /= divisor;
  }
  if (!InRange(nanos)) return BadNumber(text, "out of range");
  return FromNanos(negative ? -nanos : nanos);
}

std::string DecimalToString(const v1::Decimal& d) {
  const __int128 nanos = ToNanos(d);
  const __int128 magnitude = nanos < 0 ? -nanos : nanos;
  const int64_t units = static_cast<int64_t>(magnitude / kNanosPerUnit);
  int64_t fraction = static_cast<int64_t>(magnitude % kNanosPerUnit);
  std::string out = absl::StrCat(nanos < 0 ? "-" : "", units);
  if (fraction != 0) {
    std::string digits = std::to_string(fraction);
    digits.insert(0, 9 - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    absl::StrAppend(&out, ".", digits);
  }
  return out;
}

double ToDouble(const v1::Decimal& d) {
  return static_cast<double>(d.units()) +
         static_cast<double>(d.nanos()) / static_cast<double>(kNanosPerUnit);
}

absl::StatusOr<v1::Decimal> ScaleByPowerOfTen(const v1::Decimal& d,
                                              int exponent) {
  __int128 nanos = ToNanos(d);
  if (exponent >= 0) {
    if (exponent > 18) return absl::InvalidArgumentError("exponent too large");
    const __int128 factor = Pow10(exponent);
    if (nanos != 0 &&
        (nanos > kMaxNanos / factor || nanos < -kMaxNanos / factor)) {
      return absl::InvalidArgumentError(
          absl::StrCat(DecimalToString(d), "e", exponent, " is out of range"));
    }
    return FromNanos(nanos * factor);
  }
  if (exponent < -18) return absl::InvalidArgumentError("exponent too small");
  const __int128 divisor = Pow10(-exponent);
  if (nanos % divisor != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        DecimalToString(d), "e", exponent, " needs more than 9 decimals"));
  }
  return FromNanos(nanos / divisor);
}

v1::Decimal Add(const v1::Decimal& a, const v1::Decimal& b) {
  return FromNanos(ToNanos(a) + ToNanos(b));
}

v1::Decimal Subtract(const v1::Decimal& a, const v1::Decimal& b) {
  return FromNanos(ToNanos(a) - ToNanos(b));
}

int Compare(const v1::Decimal& a, const v1::Decimal& b) {
  const __int128 x = ToNanos(a);
  const __int128 y = ToNanos(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool IsZero(const v1::Decimal& d) { return d.units() == 0 && d.nanos() == 0; }

bool IsNegative(const v1::Decimal& d) { return ToNanos(d) < 0; }

absl::StatusOr<v1::Decimal> PercentOf(const v1::Decimal& numerator,
                                      const v1::Decimal& denominator,
                                      int decimals) {
  if (decimals < 0 || decimals > 9) {
    return absl::InvalidArgumentError("decimals must be 0..9");
  }
  const __int128 den = ToNanos(denominator);
  if (den == 0) return absl::InvalidArgumentError("percent of zero");
  // result * 10^decimals = round(100 * num * 10^decimals / den).
  const __int128 scaled = ToNanos(numerator) * 100 * Pow10(decimals);
  __int128 quotient = scaled / den;
  const __int128 remainder = scaled % den;
  const __int128 abs_remainder = remainder < 0 ? -remainder : remainder;
  const __int128 abs_den = den < 0 ? -den : den;
  if (2 * abs_remainder >= abs_den)
    quotient += ((scaled < 0) != (den < 0)) ? -1 : 1;
  return FromNanos(quotient * Pow10(9 - decimals));
}

bool IsMultipleOf(const v1::Decimal& d, int64_t step) {
  return step > 0 &&
         ToNanos(d) % (static_cast<__int128>(step) * kNanosPerUnit) == 0;
}

}  // namespace vnstream::market
