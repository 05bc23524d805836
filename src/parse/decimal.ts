// Reading plain decimal numbers in place, without cutting a string for Number(): stats files hold millions of them.
// Exact by the fast path of correctly rounded decimal conversion (Clinger, "How to read floating point numbers
// accurately", 1990): a mantissa below 2^53 and a power of ten up to 10^22 are both exact doubles, and one IEEE
// division of two exact values is correctly rounded, so the result is the double Number() returns.

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Most digits read in place: 15 digits stay below 2^53. */
const MAX_DIGITS = 15;

/**
 * The value of `text[from, to)` when it is a plain decimal (`-?\d+(\.\d+)?`, at most 15 digits), the same double as
 * `Number(text.slice(from, to))`; NaN for anything else, which the caller reads with Number().
 */
export function plainDecimal(text: string, from: number, to: number): number {
  let i = from;
  const negative = i < to && text.charCodeAt(i) === 45;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
    } else if (c === 46 && fraction < 0 && digits > 0) {
      fraction = digits;
    } else return Number.NaN;
  }
  if (digits === 0 || digits > MAX_DIGITS || fraction === digits) return Number.NaN;
  const value = fraction < 0 ? mantissa : mantissa / (POWERS_OF_TEN[digits - fraction] as number);
  return negative ? -value : value;
}
