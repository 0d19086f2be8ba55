import { lineSplitter } from "../../../../server/engine/providerPool";

function split(chunks: string[], maxLine?: number): string[] {
  const out: string[] = [];
  const s = lineSplitter((l) => out.push(l), maxLine);
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe("the provider output line splitter", () => {
  test("when lines arrive split across chunks, then each line is passed on whole, once", () => {
    expect(split(["first li", "ne\nsecond\nthi", "rd"])).toEqual(["first line", "second", "third"]);
  });

  test("when lines end in CRLF or are blank, then the CR is dropped and blank lines are skipped", () => {
    expect(split(["a\r\n\r\n  \nb\n"])).toEqual(["a", "b"]);
  });

  test("when a line is longer than the limit, then it is cut there and says how much was cut, across chunks too", () => {
    expect(split(["abcdefgh", "ij\nok\n"], 4)).toEqual(["abcd … (6 more characters cut)", "ok"]);
  });

  test("when nothing ends the last line, then end() passes it on", () => {
    expect(split(["tail without newline"])).toEqual(["tail without newline"]);
  });
});
