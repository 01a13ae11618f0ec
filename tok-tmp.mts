import { countTokens } from 'gpt-tokenizer';
const samples: Record<string,string> = {
  english: 'The quick brown fox jumps over the lazy dog. '.repeat(600),
  cjk: '你好世界我们今天去公园散步吧天气很好'.repeat(1500),
  digits: Array.from({length: 26000}, (_, i) => String(i % 10)).join(''),
  random: Array.from({length: 26000}, () => String.fromCharCode(33 + Math.floor(Math.random()*94))).join(''),
  emoji: '😀🎉🚀🔥'.repeat(6000),
  base64: Buffer.from(Array.from({length: 20000}, () => Math.floor(Math.random()*256))).toString('base64'),
};
for (const [k, v] of Object.entries(samples)) { const t = countTokens(v); console.log(k, v.length, t, (t / v.length).toFixed(3), Math.ceil(v.length/2.5), Buffer.byteLength(v)); }
