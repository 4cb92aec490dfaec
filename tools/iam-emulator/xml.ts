/**
 * The Query API's XML: results are elements in the order given, lists are `<member>` elements, and every action's
 * answer is wrapped in `<ActionResponse>` with its request id. Text is escaped; policy documents are sent
 * URL-encoded, as IAM sends them (the caller encodes them before handing them over).
 */

export type XmlValue = string | number | boolean | Date | undefined | null | XmlObject | XmlMap | readonly XmlValue[];

/** A Query API map (`SummaryMap`): `<entry><key>K</key><value>V</value></entry>` per pair, in order. */
export class XmlMap {
  constructor(readonly entries: readonly (readonly [string, string | number])[]) {}
}
export interface XmlObject {
  readonly [key: string]: XmlValue;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function render(value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof XmlMap) return value.entries.map(([k, v]) => `<entry><key>${escapeXml(k)}</key><value>${escapeXml(String(v))}</value></entry>`).join('');
  if (Array.isArray(value)) return (value as readonly XmlValue[]).map((item) => `<member>${render(item)}</member>`).join('');
  if (typeof value === 'object') return Object.entries(value as XmlObject).map(([key, v]) => (v === undefined ? '' : `<${key}>${render(v)}</${key}>`)).join('');
  return escapeXml(String(value));
}

export const NAMESPACES = { iam: 'https://iam.amazonaws.com/doc/2010-05-08/', sts: 'https://sts.amazonaws.com/doc/2011-06-15/' } as const;

export function successResponse(service: keyof typeof NAMESPACES, action: string, result: XmlObject | undefined, requestId: string): string {
  const body = result === undefined ? '' : `<${action}Result>${render(result)}</${action}Result>`;
  return `<${action}Response xmlns="${NAMESPACES[service]}">${body}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function errorResponse(service: keyof typeof NAMESPACES, type: string, code: string, message: string, requestId: string): string {
  return `<ErrorResponse xmlns="${NAMESPACES[service]}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
