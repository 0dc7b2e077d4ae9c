/**
 * The AWS SDK's browser build, which bundlers pick for Workers, parses S3's XML answers with
 * the DOM's DOMParser, which workerd lacks: without this every XML-bodied call
 * (CreateMultipartUpload, ListParts, CompleteMultipartUpload, DeleteObjects) fails. xmldom
 * provides the standard DOMParser; only the two node-type constants the SDK reads are added.
 */
import { DOMParser } from '@xmldom/xmldom';

const scope = globalThis as { DOMParser?: unknown; Node?: unknown };
scope.DOMParser ??= DOMParser;
scope.Node ??= { ELEMENT_NODE: 1, TEXT_NODE: 3 };
