/**
 * Escaping for the hand-written HTML and XML reporters (no dependency): text and attributes, characters that
 * XML 1.0 forbids dropped, JSON that can sit inside a <script> element.
 */

/**
 * What XML 1.0 does not allow in a document (Char production, section 2.2): C0 controls other than tab, LF and
 * CR; U+FFFE and U+FFFF; and UTF-16 halves without their partner, which cannot be encoded at all.
 */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` without the characters XML 1.0 forbids (they cannot be escaped either, so they are dropped). */
export function stripInvalidXml(text: string): string {
  return text.replace(INVALID_XML, '');
}

/** For XML or HTML text and attribute values (quoted with " or '): & < > " ' escaped, invalid characters dropped. */
export function escapeXml(text: string): string {
  return stripInvalidXml(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * For element content only: & < > escaped, as Python's xml.sax.saxutils.escape does (pkgcheck's XmlReporter),
 * and invalid characters dropped. Not for attribute values.
 */
export function escapeXmlText(text: string): string {
  return stripInvalidXml(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * JSON that can sit inside <script type="application/json"> without ending it: every '<' is written \u003c (so
 * neither `</script>` nor `<!--` can appear), and U+2028/U+2029 as escapes. JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
