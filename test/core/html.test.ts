import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { html, joinHtml, rawHtml, SafeHtml, toHtml } from '../../src/core/html.js';

describe('the html template', () => {
  it('escapes the five characters that matter in content and quoted attributes', () => {
    const value = `<script>alert("x" & 'y')</script>`;
    expect(String(html`<p title="${value}">${value}</p>`)).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;">' +
        '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;</p>',
    );
  });

  it('keeps its own literal markup and nested SafeHtml as they are, escaping only the text inside', () => {
    const inner = html`<b>${'Tom & Jerry'}</b>`;
    expect(String(html`<p>${inner} &amp; ${'<i>'}</p>`)).toBe(
      '<p><b>Tom &amp; Jerry</b> &amp; &lt;i&gt;</p>',
    );
  });

  it('joins arrays, escaping their text and keeping their SafeHtml', () => {
    const items = ['a<b', html`<li>ok</li>`, ['"nested"', html`<br>`]];
    expect(String(html`<ul>${items}</ul>`)).toBe('<ul>a&lt;b<li>ok</li>&quot;nested&quot;<br></ul>');
    expect(String(joinHtml(['x&y', html`<em>z</em>`], html`, `))).toBe('x&amp;y, <em>z</em>');
  });

  it('writes numbers, and nothing for false, null and undefined (a condition that did not hold)', () => {
    const none = false as boolean;
    expect(String(html`${0}|${12.5}|${none && html`<b>`}|${null}|${undefined}`)).toBe('0|12.5|||');
  });

  it('never lets text through unescaped, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const out = toHtml(text);
        expect(out).not.toMatch(/[<>"']/);
        // Every & starts one of the five entities: the text cannot smuggle markup in.
        expect(out.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&');
      }),
    );
  });

  it('makes SafeHtml only by the template or an explicit rawHtml', () => {
    expect(html`<p></p>`).toBeInstanceOf(SafeHtml);
    expect(String(rawHtml('{"a":"<\\u003c"}'))).toBe('{"a":"<\\u003c"}');
    // A string that looks like markup is text, not SafeHtml: a page cannot be given one by mistake.
    expect(String(html`${'<p></p>' as unknown as SafeHtml}`)).toBe('&lt;p&gt;&lt;/p&gt;');
  });
});
