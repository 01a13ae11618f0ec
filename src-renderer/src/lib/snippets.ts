/** Code a developer pastes to call the local gateway with an SDK; the key is a placeholder, never a real one. */

export type SnippetLanguage = 'curl' | 'python' | 'node';

export const SNIPPET_LANGUAGES: readonly { id: SnippetLanguage; label: string }[] = [
  { id: 'curl', label: 'curl' },
  { id: 'python', label: 'Python' },
  { id: 'node', label: 'Node' },
];

/** What the placeholder looks like: the real prefix, so people recognise where their key goes. */
export const KEY_PLACEHOLDER = 'omx_live_…';

/** A chat request as the snippet should send it (the OpenAI body, minus anything the UI adds for itself). */
export interface ChatSnippetRequest {
  model: string;
  messages: { role: string; content: string }[];
  stream?: boolean;
  [param: string]: unknown;
}

/** `http://127.0.0.1:7878` → `http://127.0.0.1:7878/v1`. */
export function clientBaseUrl(origin: string): string {
  return `${origin.replace(/\/+$/, '')}/v1`;
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function pythonLiteral(value: unknown, indent: number): string {
  const pad = ' '.repeat(indent);
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => `${pad}    ${pythonLiteral(v, indent + 4)}`).join(',\n')},\n${pad}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pythonLiteral(v, indent + 4)}`).join(', ')}}`;
}

function pythonArgs(request: ChatSnippetRequest): string {
  const extra: Record<string, unknown> = {};
  const lines: string[] = [];
  for (const [name, value] of Object.entries(request)) {
    if (value === undefined) continue;
    // The SDK takes only its known parameters as keywords; anything else travels in extra_body.
    if (/^[a-z_]+$/.test(name)) lines.push(`    ${name}=${pythonLiteral(value, 4)},`);
    else extra[name] = value;
  }
  if (Object.keys(extra).length > 0) lines.push(`    extra_body=${pythonLiteral(extra, 4)},`);
  return lines.join('\n');
}

function nodeBody(request: ChatSnippetRequest): string {
  return JSON.stringify(request, null, 2)
    .split('\n')
    .map((line, i) => (i === 0 ? line : `  ${line}`))
    .join('\n');
}

/** The snippet for `language` calling `POST {baseUrl}/chat/completions` with `request`. */
export function chatSnippet(language: SnippetLanguage, baseUrl: string, request: ChatSnippetRequest): string {
  const stream = request.stream === true;
  switch (language) {
    case 'curl':
      return [
        `curl ${stream ? '-N ' : ''}${baseUrl}/chat/completions \\`,
        `  -H "Authorization: Bearer $OMIXA_API_KEY" \\`,
        `  -H "Content-Type: application/json" \\`,
        `  -d ${shellQuote(JSON.stringify(request))}`,
        '',
        `# export OMIXA_API_KEY=${KEY_PLACEHOLDER}`,
      ].join('\n');
    case 'python':
      return [
        'from openai import OpenAI',
        '',
        `client = OpenAI(base_url=${JSON.stringify(baseUrl)}, api_key=${JSON.stringify(KEY_PLACEHOLDER)})`,
        '',
        `${stream ? 'stream' : 'completion'} = client.chat.completions.create(`,
        pythonArgs(request),
        ')',
        stream
          ? 'for chunk in stream:\n    if chunk.choices:\n        print(chunk.choices[0].delta.content or "", end="", flush=True)'
          : 'print(completion.choices[0].message.content)',
      ].join('\n');
    case 'node':
      return [
        "import OpenAI from 'openai';",
        '',
        `const client = new OpenAI({ baseURL: ${JSON.stringify(baseUrl)}, apiKey: ${JSON.stringify(KEY_PLACEHOLDER)} });`,
        '',
        `const ${stream ? 'stream' : 'completion'} = await client.chat.completions.create(${nodeBody(request)});`,
        stream
          ? "for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');"
          : 'console.log(completion.choices[0].message.content);',
      ].join('\n');
  }
}
