"use strict";
// A Telegram message's text and entities as DOM nodes. Only text nodes and a fixed set of
// elements are created, so nothing the bot sends is ever parsed as HTML. Entity offsets count
// UTF-16 code units, as JavaScript strings do.
const TgRender = (() => {
  const SAFE_URL = /^(https?:\/\/|tg:\/\/|mailto:|tel:)/i;
  const URL_RE = /https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'"]/g;
  const COMMAND_RE = /(^|[\s(])(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?)(?=$|[\s.,;:!?)])/g;

  function link(href, ctx) {
    const a = document.createElement("a");
    if (SAFE_URL.test(href)) {
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.addEventListener("click", (event) => ctx.onLink && ctx.onLink(href, event));
    }
    return a;
  }

  function elementFor(entity, ctx, text) {
    switch (entity.type) {
      case "bold": return document.createElement("b");
      case "italic": return document.createElement("i");
      case "underline": return document.createElement("u");
      case "strikethrough": return document.createElement("s");
      case "code": return document.createElement("code");
      case "pre": {
        const pre = document.createElement("pre");
        if (entity.language) pre.dataset.language = entity.language;
        return pre;
      }
      case "spoiler": {
        const span = document.createElement("span");
        span.className = "spoiler";
        span.title = "Spoiler: click to show";
        span.addEventListener("click", () => span.classList.add("revealed"));
        return span;
      }
      case "blockquote":
      case "expandable_blockquote": {
        const quote = document.createElement("blockquote");
        if (entity.type === "expandable_blockquote") {
          quote.className = "expandable";
          quote.addEventListener("click", () => quote.classList.toggle("expanded"));
        }
        return quote;
      }
      case "text_link": return link(entity.url || "", ctx);
      case "url": return link(text, ctx);
      case "email": return link("mailto:" + text, ctx);
      case "phone_number": return link("tel:" + text.replace(/[^+\d]/g, ""), ctx);
      case "bot_command": return commandLink(text, ctx);
      case "mention":
      case "text_mention":
      case "hashtag":
      case "cashtag": {
        const span = document.createElement("span");
        span.className = "mention";
        return span;
      }
      default: return null; // custom_emoji and others: their text alone
    }
  }

  function commandLink(command, ctx) {
    const a = document.createElement("a");
    a.href = "#";
    a.className = "command";
    a.addEventListener("click", (event) => {
      event.preventDefault();
      if (ctx.onCommand) ctx.onCommand(command);
    });
    return a;
  }

  // Plain text with the links and commands a Telegram client detects by itself.
  function appendPlain(parent, text, ctx) {
    const found = [];
    for (const match of text.matchAll(URL_RE)) found.push({ start: match.index, end: match.index + match[0].length, kind: "url" });
    for (const match of text.matchAll(COMMAND_RE)) {
      const start = match.index + match[1].length;
      found.push({ start, end: start + match[2].length, kind: "command" });
    }
    found.sort((a, b) => a.start - b.start);
    let position = 0;
    for (const item of found) {
      if (item.start < position) continue;
      parent.append(text.slice(position, item.start));
      const piece = text.slice(item.start, item.end);
      const element = item.kind === "url" ? link(piece, ctx) : commandLink(piece, ctx);
      element.textContent = piece;
      parent.append(element);
      position = item.end;
    }
    parent.append(text.slice(position));
  }

  const NO_AUTOLINK = new Set(["code", "pre", "text_link", "url", "email", "phone_number", "bot_command"]);

  function renderText(text, entities, ctx = {}) {
    const root = { entity: null, start: 0, end: text.length, children: [] };
    const sorted = [...(entities || [])].sort((a, b) => a.offset - b.offset || b.length - a.length);
    const stack = [root];
    for (const entity of sorted) {
      while (stack.length > 1 && entity.offset >= stack[stack.length - 1].end) stack.pop();
      const parent = stack[stack.length - 1];
      const node = {
        entity,
        start: Math.max(entity.offset, parent.start),
        end: Math.min(entity.offset + entity.length, parent.end),
        children: [],
      };
      if (node.end <= node.start) continue;
      parent.children.push(node);
      stack.push(node);
    }
    const fragment = document.createDocumentFragment();
    emit(root, fragment, text, ctx, true);
    return fragment;
  }

  function emit(node, parent, text, ctx, autolink) {
    let position = node.start;
    const put = (from, to) => {
      if (to <= from) return;
      if (autolink) appendPlain(parent, text.slice(from, to), ctx);
      else parent.append(text.slice(from, to));
    };
    for (const child of node.children) {
      put(position, child.start);
      const piece = text.slice(child.start, child.end);
      const element = elementFor(child.entity, ctx, piece);
      const inner = autolink && !NO_AUTOLINK.has(child.entity.type);
      if (element) {
        emit(child, element, text, ctx, inner);
        parent.append(element);
      } else {
        emit(child, parent, text, ctx, inner);
      }
      position = child.end;
    }
    put(position, node.end);
  }

  return { renderText };
})();
