"use strict";
// The web chat: a Telegram-like client for the local emulator's users. State comes from /api,
// changes arrive as server-sent events; every message is re-read from the emulator, which holds
// the truth (the bot edits and deletes messages at any time).

const $ = (id) => document.getElementById(id);
const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

const app = {
  state: null, // /api/state
  chat: null, // /api/chats/<current>
  current: Number(localStorage.getItem("emulator.chat")) || null,
  seen: JSON.parse(localStorage.getItem("emulator.seen") || "{}"),
  speaker: Number(localStorage.getItem("emulator.speaker")) || null,
  replyTo: null,
  hiddenKeyboard: null, // message id of a one-time or hidden reply keyboard
  tail: null, // the last message and the reply keyboard, as last rendered
  pinned: true, // the chat is scrolled to its newest message
  refreshing: null,
  again: false,
};

async function api(path, options = {}) {
  const response = await fetch(path, {
    headers: options.body && !(options.body instanceof FormData) ? { "Content-Type": "application/json" } : {},
    ...options,
  });
  if (!response.ok) {
    const message = await response.text();
    throw new Error(message || response.statusText);
  }
  return response.json();
}

const post = (path, body) => api(path, { method: "POST", body: JSON.stringify(body) });

// ---------------------------------------------------------------- refresh

async function refresh() {
  // One refresh at a time; a change during one asks for another.
  if (app.refreshing) {
    app.again = true;
    return app.refreshing;
  }
  app.refreshing = (async () => {
    do {
      app.again = false;
      try {
        app.state = await api("/api/state");
        const ids = app.state.chats.map((c) => c.id);
        if (!ids.includes(app.current)) app.current = ids[0];
        app.chat = await api(`/api/chats/${app.current}`);
        render();
      } catch (error) {
        showToast(`The emulator does not answer (${error.message}).`);
      }
    } while (app.again);
    app.refreshing = null;
  })();
  return app.refreshing;
}

function selectChat(id) {
  showDrawer(false);
  if (app.current === id) return;
  app.current = id;
  app.replyTo = null;
  app.hiddenKeyboard = null;
  localStorage.setItem("emulator.chat", String(id));
  $("command-menu").hidden = true;
  refresh();
}

// On a narrow screen the chat list is a drawer over the chat.
function showDrawer(open) {
  document.body.classList.toggle("drawer-open", open);
  $("scrim").hidden = !open;
}

// ---------------------------------------------------------------- rendering

function currentChat() {
  return app.state.chats.find((c) => c.id === app.current);
}

function render() {
  renderBanner();
  renderNotes();
  renderChatList();
  renderHead();
  if (currentChat().kind === "group") senderId(); // who "you" are decides which side messages go
  renderMessages();
  renderComposer();
  app.seen[app.current] = currentChat().bot_messages;
  localStorage.setItem("emulator.seen", JSON.stringify(app.seen));
}

function renderBanner() {
  const clock = app.state.info.clock;
  const node = $("clock");
  node.hidden = !clock;
  if (clock) {
    node.replaceChildren(el("span", "clock-prefix", "Event clock: "), clock.label);
    node.title = `${app.state.info.clock_set_by_emulator
      ? "Set by the emulator to the date of the invitation letter (EVENT_CLOCK was not set): registration is open."
      : "Set by EVENT_CLOCK."} The bot's clock stands still; message times count on from it.`;
  }
}

function renderNotes() {
  const notes = app.state.info.notes;
  $("notes").hidden = !notes.length;
  $("notes").textContent = notes.join(" ");
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((part) => part[0]).join("").toUpperCase();
}

function avatar(name, seed) {
  const node = el("div", "avatar", initials(name));
  node.dataset.hue = String(Math.abs(seed) % 7);
  return node;
}

function roleLabel(persona) {
  if (persona.role === "organiser") return persona.admin ? "Organiser · admin" : "Organiser";
  if (persona.role === "staff") return "Staff member";
  return "Delegate";
}

// Message dates on the bot's clock (EVENT_CLOCK), in its time zone: a message sent n seconds after
// the bot started is shown at the event clock + n, so that the chats happen on the day the banner
// shows rather than today. Without an event clock, the browser's date and time zone.
function onEventClock(seconds) {
  const clock = app.state.info.clock;
  if (!clock) return { date: new Date(seconds * 1000), timeZone: undefined };
  const shifted = clock.timestamp + (seconds - clock.since) + clock.utc_offset;
  return { date: new Date(shifted * 1000), timeZone: "UTC" };
}

function formatTime(seconds) {
  const { date, timeZone } = onEventClock(seconds);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", timeZone });
}

function formatDay(seconds) {
  const { date, timeZone } = onEventClock(seconds);
  const yearOf = (day) => day.toLocaleDateString([], { year: "numeric", timeZone });
  const thisYear = yearOf(date) === yearOf(onEventClock(Date.now() / 1000).date);
  return date.toLocaleDateString([], { day: "numeric", month: "long", year: thisYear ? undefined : "numeric", timeZone });
}

function renderChatList() {
  const list = $("chat-list");
  list.replaceChildren();
  const groups = [
    ["Delegates", app.state.chats.filter((c) => c.persona && c.persona.role === "delegate")],
    ["Organisers and staff", app.state.chats.filter((c) => !c.persona || c.persona.role !== "delegate")],
  ];
  for (const [title, chats] of groups) {
    list.append(el("div", "chat-list-title", title));
    for (const chat of chats) list.append(chatItem(chat));
  }
}

function chatItem(chat) {
  const item = el("button", "chat-item");
  item.type = "button";
  item.dataset.chatId = String(chat.id);
  if (chat.id === app.current) item.classList.add("active");
  item.append(avatar(chat.title, chat.id));
  const body = el("div", "chat-item-body");
  const top = el("div", "chat-item-top");
  top.append(el("span", "chat-item-name", chat.title));
  if (chat.last) top.append(el("span", "chat-item-time", formatTime(chat.last.date)));
  body.append(top);
  const bottom = el("div", "chat-item-bottom");
  const subtitle = chat.persona
    ? `${roleLabel(chat.persona)} · ${chat.persona.language_code}`
    : `Group · ${chat.members.length} members and the bot`;
  bottom.append(el("span", "chat-item-role", subtitle));
  const unread = chat.bot_messages - (app.seen[chat.id] || 0);
  if (unread > 0 && chat.id !== app.current) bottom.append(el("span", "badge", String(unread)));
  body.append(bottom);
  const last = el("div", "chat-item-last", chat.last ? chat.last.text : "No messages yet");
  last.dir = "auto";
  body.append(last);
  item.append(body);
  item.addEventListener("click", () => selectChat(chat.id));
  return item;
}

function renderHead() {
  const chat = currentChat();
  const bot = app.state.bot;
  const playing = $("playing");
  playing.replaceChildren();
  if (chat.kind === "group") {
    $("head-avatar").replaceWith(Object.assign(avatar(chat.title, chat.id), { id: "head-avatar" }));
    $("head-title").textContent = chat.title;
    const names = app.state.chats.filter((c) => chat.members.includes(c.id)).map((c) => c.title);
    $("head-subtitle").textContent = `group · ${names.join(", ")} and @${bot.username}`;
    playing.append(el("span", "playing-note", "The bot reads commands and replies to its messages (Telegram's privacy mode)."));
  } else {
    $("head-avatar").replaceWith(Object.assign(avatar(bot.first_name, bot.id), { id: "head-avatar" }));
    $("head-title").textContent = bot.first_name;
    $("head-subtitle").textContent = `bot · @${bot.username}`;
    const persona = chat.persona;
    const chip = el("div", "persona-chip");
    chip.append(el("span", "persona-chip-label", "You are"));
    chip.append(el("b", null, persona.name));
    chip.append(
      el("span", "persona-chip-details", `${roleLabel(persona)} · Telegram language ${persona.language_code} · id ${persona.id} · ☎ ${persona.phone}`),
    );
    playing.append(chip);
  }
}

function atBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 80;
}

function scrollToNewest() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
  app.pinned = true;
}

function renderMessages() {
  const box = $("messages");
  // As in Telegram, the chat follows its newest message: on opening, when one arrives, when the
  // bot edits the last one (its dialogues change in place) or its keyboard changes. A reader
  // scrolled up into older messages keeps their place otherwise.
  const tail = JSON.stringify([app.current, app.chat.messages.at(-1), app.chat.reply_keyboard]);
  const follow = app.pinned || tail !== app.tail;
  app.tail = tail;
  const scroll = box.scrollTop;
  box.replaceChildren();
  const chat = currentChat();
  let lastDay = null;
  for (const message of app.chat.messages) {
    const day = formatDay(message.date);
    if (day !== lastDay) {
      box.append(el("div", "day", day));
      lastDay = day;
    }
    box.append(messageNode(message, chat));
  }
  if (!app.chat.messages.length) {
    const empty = el("div", "empty");
    empty.append(el("b", null, chat.kind === "group" ? "The organisers' group" : "A new chat with the bot"));
    empty.append(el("span", null, chat.kind === "group"
      ? "Questions the bot hands over to the organisers appear here. Reply to one of its messages to answer."
      : "Press START below, as a delegate does on opening the bot in Telegram."));
    box.append(empty);
  }
  $("start-panel").hidden = !(chat.kind === "private" && app.chat.messages.length === 0);
  $("composer-wrap").hidden = !$("start-panel").hidden;
  if (follow) scrollToNewest();
  else box.scrollTop = scroll;
}

const textContext = {
  onCommand: (command) => sendText(command),
  onLink: (href, event) => {
    if (opensBot(href)) {
      event.preventDefault();
      linkMenu(href, event);
    }
  },
};

// t.me links to this bot (invitations, the check-in QR code) open the bot, as Telegram does; the
// emulator opens them for whichever user the person at the keyboard chooses.
function opensBot(href) {
  try {
    const url = new URL(href);
    const username = url.protocol === "tg:" && url.hostname === "resolve"
      ? url.searchParams.get("domain")
      : ["t.me", "telegram.me", "telegram.dog"].includes(url.hostname) && url.pathname.slice(1);
    return (username || "").toLowerCase() === app.state.bot.username.toLowerCase();
  } catch {
    return false;
  }
}

function linkMenu(link, event) {
  const me = senderId();
  const name = app.state.chats.find((c) => c.id === me).title;
  openMenu(event, [
    [`Open as ${name}`, () => openLinkAs(link, me)],
    ["Open this link as…", () => openLinkDialog(link)],
    ["Copy the link", () => navigator.clipboard.writeText(link).then(() => showToast("Copied to the clipboard"))],
  ]);
}

async function openLinkAs(link, userId) {
  try {
    await post("/api/links/open", { link, user_id: userId });
    selectChat(userId);
  } catch (error) {
    showToast(error.message);
  }
}

// "Open this link as…": the link (given, or pasted here) and who opens it, a new delegate too.
async function openLinkDialog(link) {
  const input = el("input", "link-input");
  input.placeholder = `https://t.me/${app.state.bot.username}?start=…`;
  input.value = link || "";
  input.setAttribute("aria-label", "Link");
  const userId = await chooseUser({
    title: "Open this link as…",
    detail: "As if this user tapped it in another app: the bot gets /start with the link's parameter.",
    field: link ? null : input,
    preferred: senderId(),
    allowNew: true,
    action: "Open",
  });
  if (userId !== null) await openLinkAs(input.value, userId);
}

function photoMenu(message, image, event) {
  openMenu(event, [
    ["View the photo", () => openLightbox(image.src)],
    ["Scan this QR code as…", () => scanDialog(message)],
  ]);
}

// Staff check delegates in by scanning their ticket with the phone's camera, which opens the link
// in the QR code: the emulator decodes the photo and opens the link for the chosen user.
async function scanDialog(message) {
  const staff = app.state.chats.find((c) => c.persona && c.persona.role === "staff");
  const userId = await chooseUser({
    title: "Scan this QR code as…",
    detail: "Whose phone scans it? The link in the code opens the bot for them.",
    preferred: staff ? staff.id : senderId(),
    staffFirst: true,
    action: "Scan",
  });
  if (userId === null) return;
  try {
    await post(`/api/chats/${app.current}/scan`, { message_id: message.message_id, user_id: userId });
    selectChat(userId);
  } catch (error) {
    showToast(error.message);
  }
}

function messageNode(message, chat) {
  const outgoing = !message.from_bot && (chat.kind === "private" || message.from.id === app.speaker);
  const row = el("div", `message ${outgoing ? "out" : "in"}`);
  row.dataset.messageId = String(message.message_id);
  const bubble = el("div", "bubble");
  if (chat.kind === "group" && !outgoing) {
    const name = [message.from.first_name, message.from.last_name].filter(Boolean).join(" ");
    const sender = el("div", "sender", message.from_bot ? app.state.bot.first_name : name);
    sender.dataset.hue = String(Math.abs(message.from.id) % 7);
    bubble.append(sender);
  }
  if (message.reply_to_message) bubble.append(quoteNode(message.reply_to_message));
  const media = mediaNode(message);
  if (media) bubble.append(media);
  const text = message.text ?? message.caption;
  const entities = message.text !== undefined ? message.entities : message.caption_entities;
  if (text) {
    const body = el("div", "text");
    body.dir = "auto";
    body.append(TgRender.renderText(text, entities, textContext));
    bubble.append(body);
  }
  const meta = el("span", "meta");
  if (chat.kind === "group") {
    // Replying is how organisers answer the bot's posts: on hover, or a double click, as in Telegram.
    const reply = el("button", "reply-action", "↩ Reply");
    reply.type = "button";
    reply.title = "Reply to this message";
    reply.addEventListener("click", () => startReply(message));
    meta.append(reply);
    bubble.addEventListener("dblclick", () => startReply(message));
  }
  if (message.edit_date) meta.append(el("span", "edited", "edited"));
  meta.append(el("span", null, formatTime(message.date)));
  if (outgoing) meta.append(el("span", "ticks", "✓✓"));
  bubble.append(meta);
  // Bubble and keyboard share one width, the wider of the two, as in Telegram.
  const body = el("div", "message-body");
  body.append(bubble);
  const keyboard = message.reply_markup && message.reply_markup.inline_keyboard;
  if (keyboard && keyboard.length) body.append(inlineKeyboard(message, keyboard));
  row.append(body);
  return row;
}

function quoteNode(original) {
  const quote = el("div", "quote");
  quote.append(el("b", null, original.from ? original.from.first_name : ""));
  const text = el("span", null, (original.text || original.caption || "[media]").split("\n")[0]);
  text.dir = "auto";
  quote.append(text);
  return quote;
}

function mediaNode(message) {
  if (message.photo) {
    const largest = message.photo[message.photo.length - 1];
    const image = el("img", "photo");
    image.src = `/api/files/${encodeURIComponent(largest.file_id)}`;
    image.alt = "Photo";
    image.loading = "lazy";
    image.addEventListener("click", () => openLightbox(image.src));
    image.addEventListener("contextmenu", (event) => {
      event.preventDefault();
      photoMenu(message, image, event);
    });
    image.addEventListener("load", () => app.pinned && scrollToNewest());
    const frame = el("div", "photo-frame");
    const more = el("button", "media-menu", "⋯");
    more.type = "button";
    more.title = "Photo menu";
    more.setAttribute("aria-label", "Photo menu");
    more.addEventListener("click", (event) => photoMenu(message, image, event));
    frame.append(image, more);
    return frame;
  }
  if (message.document) {
    const card = el("a", "document");
    card.href = `/api/files/${encodeURIComponent(message.document.file_id)}?download=1`;
    card.download = message.document.file_name || "";
    card.append(el("span", "document-icon", "📄"));
    const about = el("span", "document-about");
    about.append(el("b", null, message.document.file_name || "File"));
    about.append(el("span", null, message.document.file_size ? `${formatSize(message.document.file_size)} · Download` : "Download"));
    card.append(about);
    return card;
  }
  const place = message.venue || (message.location && { location: message.location });
  if (place) {
    const { latitude, longitude } = place.location;
    const card = el("div", "venue");
    card.append(el("span", "venue-pin", "📍"));
    const about = el("div", "venue-about");
    if (place.title) about.append(el("b", null, place.title));
    if (place.address) about.append(el("span", null, place.address));
    const map = el("a", null, "Open the map");
    map.href = `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=17/${latitude}/${longitude}`;
    map.target = "_blank";
    map.rel = "noopener noreferrer";
    about.append(map);
    about.append(el("small", null, `${latitude.toFixed(5)}, ${longitude.toFixed(5)}`));
    card.append(about);
    return card;
  }
  if (message.contact) {
    const card = el("div", "contact");
    card.append(el("span", "venue-pin", "👤"));
    const about = el("div", "venue-about");
    about.append(el("b", null, message.contact.first_name));
    about.append(el("span", null, message.contact.phone_number));
    card.append(about);
    return card;
  }
  if (message.users_shared) {
    const names = message.users_shared.users.map((u) => [u.first_name, u.last_name].filter(Boolean).join(" ") || `#${u.user_id}`);
    return el("div", "unsupported", `👤 Shared: ${names.join(", ")}`);
  }
  if (message.sticker) return el("div", "sticker", message.sticker.emoji || "🖼");
  const other = ["video", "animation", "audio", "voice", "video_note"].find((kind) => message[kind]);
  return other ? el("div", "unsupported", `[${other}]`) : null;
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function inlineKeyboard(message, rows) {
  const keyboard = el("div", "inline-keyboard");
  for (const row of rows) {
    const line = el("div", "keyboard-row");
    for (const button of row) {
      const node = el("button", "inline-button", button.text);
      node.type = "button";
      if (button.url) node.classList.add("link");
      node.addEventListener("click", () => pressInline(message, button, node));
      line.append(node);
    }
    keyboard.append(line);
  }
  return keyboard;
}

async function pressInline(message, button, node) {
  if (button.callback_data !== undefined) {
    node.classList.add("pending");
    try {
      await post(`/api/chats/${app.current}/press`, {
        from: senderId(),
        message_id: message.message_id,
        data: button.callback_data,
      });
    } catch (error) {
      showToast(error.message);
    } finally {
      setTimeout(() => node.classList.remove("pending"), 600);
    }
  } else if (button.url) {
    if (opensBot(button.url)) linkMenu(button.url, { target: node });
    else window.open(button.url, "_blank", "noopener");
  } else if (button.copy_text) {
    await navigator.clipboard.writeText(button.copy_text.text);
    showToast("Copied to the clipboard");
  } else {
    showToast("This kind of button does not work in the emulator.");
  }
}

// ---------------------------------------------------------------- composer

function senderId() {
  const chat = currentChat();
  if (chat.kind === "private") return chat.id;
  if (!chat.members.includes(app.speaker)) app.speaker = chat.members[0];
  return app.speaker;
}

function renderComposer() {
  const chat = currentChat();
  const speaker = $("speaker");
  speaker.hidden = chat.kind !== "group";
  if (chat.kind === "group") {
    senderId();
    speaker.replaceChildren();
    for (const member of app.state.chats.filter((c) => chat.members.includes(c.id))) {
      const option = el("option", null, `as ${member.title}`);
      option.value = String(member.id);
      option.selected = member.id === app.speaker;
      speaker.append(option);
    }
  }
  $("sticker").hidden = $("attach").hidden = chat.kind === "group";
  const commands = app.chat.commands;
  $("menu-button").hidden = !commands.length;
  renderCommandMenu(commands);
  renderReplyBar();
  renderReplyKeyboard();
}

function renderCommandMenu(commands) {
  const menu = $("command-menu");
  menu.replaceChildren();
  for (const command of commands) {
    const item = el("button", "command-item");
    item.type = "button";
    item.append(el("b", null, `/${command.command}`));
    item.append(el("span", null, command.description));
    item.addEventListener("click", () => {
      menu.hidden = true;
      sendText(`/${command.command}`);
    });
    menu.append(item);
  }
}

function renderReplyKeyboard() {
  const board = app.chat.reply_keyboard;
  const panel = $("reply-keyboard");
  const toggle = $("keyboard-toggle");
  const input = $("input");
  input.placeholder = (board && board.input_field_placeholder) || "Message";
  toggle.hidden = !board;
  panel.replaceChildren();
  panel.hidden = !board || app.hiddenKeyboard === board.message_id;
  if (!board) return;
  for (const row of board.keyboard) {
    const line = el("div", "keyboard-row");
    for (const raw of row) {
      const button = typeof raw === "string" ? { text: raw } : raw;
      const node = el("button", "reply-button", button.text);
      if (button.request_contact) node.classList.add("request");
      node.type = "button";
      node.addEventListener("click", () => pressReply(board, button));
      line.append(node);
    }
    panel.append(line);
  }
}

async function pressReply(board, button) {
  if (board.one_time_keyboard) app.hiddenKeyboard = board.message_id;
  if (button.request_contact) {
    const persona = currentChat().persona;
    const confirmed = await confirmDialog(
      `Share your phone number with the bot?`,
      `${persona.name} · ${persona.phone} (a made-up number of this emulated user)`,
      "Share",
    );
    if (!confirmed) return;
    try {
      await post(`/api/chats/${app.current}/contact`, {});
    } catch (error) {
      showToast(error.message);
    }
  } else if (button.request_users) {
    const picked = await pickUsers(button.request_users);
    if (!picked.length) return;
    const body = { request_id: button.request_users.request_id, user_ids: picked };
    await post(`/api/chats/${app.current}/users`, body).catch((error) => showToast(error.message));
  } else if (button.request_location || button.request_poll || button.request_chat || button.web_app) {
    showToast("This kind of button does not work in the emulator.");
  } else {
    await sendText(button.text);
  }
}

// Telegram's contact picker, with the other emulated users as contacts.
function pickUsers(request) {
  return new Promise((resolve) => {
    const most = request.max_quantity || 1;
    const others = app.state.chats.filter((c) => c.persona && c.id !== app.current);
    const list = userList(others, most > 1 ? "checkbox" : "radio", null);
    $("modal-body").replaceChildren(el("b", null, most > 1 ? `Choose up to ${most} people` : "Choose a person"), list);
    const cancel = el("button", "modal-cancel", "Cancel");
    const ok = el("button", "modal-ok", "Send");
    $("modal-actions").replaceChildren(cancel, ok);
    const close = (value) => {
      $("modal").hidden = true;
      resolve(value);
    };
    cancel.onclick = () => close([]);
    ok.onclick = () => close([...list.querySelectorAll("input:checked")].slice(0, most).map((box) => Number(box.value)));
    $("modal").hidden = false;
  });
}

function userList(chats, type, checked) {
  const list = el("div", "pick-list");
  for (const chat of chats) {
    const row = el("label", "pick-row");
    const box = el("input");
    box.type = type;
    box.name = "picked";
    box.value = String(chat.id);
    box.checked = chat.id === checked;
    row.append(box, avatar(chat.title, chat.id), el("span", null, `${chat.title} · ${roleLabel(chat.persona)}`));
    list.append(row);
  }
  return list;
}

// A small chooser of the emulated users; resolves to the chosen user's id, or null.
function chooseUser({ title, detail, field, preferred, staffFirst, allowNew, action }) {
  return new Promise((resolve) => {
    let users = app.state.chats.filter((c) => c.persona);
    if (staffFirst) users = [...users.filter((c) => c.persona.role !== "delegate"), ...users.filter((c) => c.persona.role === "delegate")];
    const list = userList(users, "radio", preferred);
    const body = [el("b", null, title), el("p", null, detail)];
    if (field) body.push(field);
    body.push(list);
    if (allowNew) {
      const add = el("button", "new-persona", "+ A new delegate…");
      add.type = "button";
      add.onclick = async () => {
        const persona = await newPersonaDialog();
        resolve(persona ? persona.id : null);
      };
      body.push(add);
    }
    $("modal-body").replaceChildren(...body);
    const cancel = el("button", "modal-cancel", "Cancel");
    const ok = el("button", "modal-ok", action);
    $("modal-actions").replaceChildren(cancel, ok);
    const close = (value) => {
      $("modal").hidden = true;
      resolve(value);
    };
    cancel.onclick = () => close(null);
    ok.onclick = () => {
      const picked = list.querySelector("input:checked");
      if (field && !field.value.trim()) field.focus();
      else if (picked) close(Number(picked.value));
    };
    $("modal").hidden = false;
    (field || ok).focus();
  });
}

// A menu of [label, action] pairs by the pointer, or under the element that opened it.
function openMenu(event, items) {
  const menu = $("popup-menu");
  menu.replaceChildren();
  for (const [label, action] of items) {
    const item = el("button", "popup-item", label);
    item.type = "button";
    item.setAttribute("role", "menuitem");
    item.addEventListener("click", () => {
      menu.hidden = true;
      action();
    });
    menu.append(item);
  }
  menu.hidden = false;
  const pointer = event.clientX || event.clientY; // a click by keyboard has none
  const anchor = pointer ? { left: event.clientX, bottom: event.clientY } : event.target.getBoundingClientRect();
  const left = Math.min(anchor.left, window.innerWidth - menu.offsetWidth - 8);
  const top = Math.min(anchor.bottom + 4, window.innerHeight - menu.offsetHeight - 8);
  menu.style.left = `${Math.max(8, left)}px`;
  menu.style.top = `${Math.max(8, top)}px`;
}

function startReply(message) {
  app.replyTo = message;
  renderReplyBar();
  $("input").focus();
}

function renderReplyBar() {
  const bar = $("reply-bar");
  bar.hidden = !app.replyTo;
  if (app.replyTo) {
    $("reply-name").textContent = app.replyTo.from_bot ? app.state.bot.first_name : app.replyTo.from.first_name;
    $("reply-text").textContent = (app.replyTo.text || app.replyTo.caption || "").split("\n")[0];
  }
}

async function sendText(text) {
  if (!text.trim()) return;
  const chat = currentChat();
  const body = { from: senderId(), text };
  if (chat.kind === "group" && app.replyTo) body.reply_to = app.replyTo.message_id;
  try {
    const result = await post(`/api/chats/${app.current}/send`, body);
    app.replyTo = null;
    if (chat.kind === "group" && !result.delivered) {
      showToast("Seen by the group, not by the bot: reply to one of its messages or send a /command.");
    }
  } catch (error) {
    showToast(error.message);
  }
  refresh();
}

function autoGrow() {
  const input = $("input");
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
}

// ---------------------------------------------------------------- dialogs and toasts

let toastTimer = null;
function showToast(text) {
  const toast = $("toast");
  toast.textContent = text;
  toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.hidden = true), 3500);
}

function confirmDialog(title, detail, action) {
  return new Promise((resolve) => {
    const body = $("modal-body");
    body.replaceChildren(el("b", null, title), el("p", null, detail));
    const actions = $("modal-actions");
    const cancel = el("button", "modal-cancel", "Cancel");
    const ok = el("button", "modal-ok", action);
    actions.replaceChildren(cancel, ok);
    const close = (value) => {
      $("modal").hidden = true;
      resolve(value);
    };
    cancel.onclick = () => close(false);
    ok.onclick = () => close(true);
    $("modal").hidden = false;
    ok.focus();
  });
}

function alertDialog(text) {
  const body = $("modal-body");
  body.replaceChildren(el("b", null, app.state.bot.first_name), el("p", null, text));
  const ok = el("button", "modal-ok", "OK");
  ok.onclick = () => ($("modal").hidden = true);
  $("modal-actions").replaceChildren(ok);
  $("modal").hidden = false;
  ok.focus();
}

function openLightbox(src) {
  $("lightbox-img").src = src;
  $("lightbox").hidden = false;
}

// Resolves to the delegate added, or null.
function newPersonaDialog() {
  return new Promise((resolve) => {
    const form = el("form", "persona-form");
    form.append(el("b", null, "A new delegate"));
    form.append(el("p", null, "Their Telegram app language decides which language the bot offers first."));
    const name = el("input");
    name.placeholder = "First name";
    name.required = true;
    name.maxLength = 64;
    const last = el("input");
    last.placeholder = "Last name (optional)";
    last.maxLength = 64;
    const language = el("select");
    for (const [code, label] of Object.entries(app.state.languages)) {
      const option = el("option", null, `${label} (${code})`);
      option.value = code;
      language.append(option);
    }
    form.append(name, last, language);
    $("modal-body").replaceChildren(form);
    const cancel = el("button", "modal-cancel", "Cancel");
    const ok = el("button", "modal-ok", "Add");
    $("modal-actions").replaceChildren(cancel, ok);
    const close = (persona) => {
      $("modal").hidden = true;
      resolve(persona);
    };
    cancel.onclick = () => close(null);
    const submit = async (event) => {
      event.preventDefault();
      if (!name.value.trim()) return name.focus();
      try {
        close(await post("/api/personas", {
          first_name: name.value,
          last_name: last.value,
          language_code: language.value,
        }));
      } catch (error) {
        showToast(error.message);
      }
    };
    ok.onclick = submit;
    form.onsubmit = submit;
    $("modal").hidden = false;
    name.focus();
  });
}

// ---------------------------------------------------------------- wiring

function wire() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("input");
    const text = input.value;
    input.value = "";
    autoGrow();
    sendText(text);
  });
  $("input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("input").addEventListener("input", autoGrow);
  $("start-button").addEventListener("click", () => sendText("/start"));
  $("menu-button").addEventListener("click", () => ($("command-menu").hidden = !$("command-menu").hidden));
  $("keyboard-toggle").addEventListener("click", () => {
    const board = app.chat.reply_keyboard;
    app.hiddenKeyboard = app.hiddenKeyboard === board.message_id ? null : board.message_id;
    renderReplyKeyboard();
  });
  $("speaker").addEventListener("change", (event) => {
    app.speaker = Number(event.target.value);
    localStorage.setItem("emulator.speaker", String(app.speaker));
    renderMessages();
  });
  $("reply-cancel").addEventListener("click", () => {
    app.replyTo = null;
    renderReplyBar();
  });
  $("sticker").addEventListener("click", async () => {
    await post(`/api/chats/${app.current}/sticker`, {}).catch((error) => showToast(error.message));
  });
  $("attach").addEventListener("click", () => $("file").click());
  $("file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    await api(`/api/chats/${app.current}/upload`, { method: "POST", body: form }).catch((error) => showToast(error.message));
  });
  $("new-persona").addEventListener("click", async () => {
    const persona = await newPersonaDialog();
    if (persona) selectChat(persona.id);
  });
  $("open-link").addEventListener("click", () => {
    showDrawer(false);
    openLinkDialog(null);
  });
  $("drawer-button").addEventListener("click", () => showDrawer(true));
  $("scrim").addEventListener("click", () => showDrawer(false));
  $("lightbox").addEventListener("click", () => ($("lightbox").hidden = true));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      $("lightbox").hidden = true;
      $("modal").hidden = true;
      $("command-menu").hidden = true;
      $("popup-menu").hidden = true;
      showDrawer(false);
    }
  });
  document.addEventListener("pointerdown", (event) => {
    if (!$("popup-menu").contains(event.target)) $("popup-menu").hidden = true;
  });
  const box = $("messages");
  let lastTop = 0;
  box.addEventListener("scroll", () => {
    // Only the reader scrolling up lets go of the newest message: when the chat shrinks under a
    // scroll just made (a reply keyboard appearing), the scroll event finds it off the bottom.
    if (box.scrollTop < lastTop) app.pinned = atBottom(box);
    else if (atBottom(box)) app.pinned = true;
    lastTop = box.scrollTop;
  });
  // The chat shrinks when a reply keyboard appears or the message grows: keep the newest in view.
  new ResizeObserver(() => app.pinned && scrollToNewest()).observe(box);

  const events = new EventSource("/api/events");
  events.addEventListener("change", () => refresh());
  events.addEventListener("toast", (event) => {
    const toast = JSON.parse(event.data);
    if (toast.chat_id !== app.current) return;
    if (toast.alert) alertDialog(toast.text);
    else showToast(toast.text);
  });
}

wire();
refresh();
