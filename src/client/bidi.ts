/**
 * Bidirectional controls (embeddings, overrides, isolates) and marks, as a regular expression's
 * character class: shown raw, one in a name ("invoice\u202Efdp.exe" reads "invoiceexe.pdf")
 * shows another name and reverses the rest of its line. The API refuses the controls in new
 * names but takes the marks; names stored before, or by other means, may hold any of them.
 */
export const BIDI_CHARACTERS = '\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069';
