// Records every GraphQL request the inbox, brand and preferences clients of @trycourier/courier-js
// send, exactly as it sends it, by calling each of its methods with fetch replaced by a recorder.
//   npm pack @trycourier/courier-js@<version> && tar xzf trycourier-courier-js-*.tgz
//   node extract_operations.cjs package > operations-<version>.json
const path = require("path");
const root = path.resolve(process.argv[2]);
const { CourierClient } = require(path.join(root, "dist/index.js"));
const version = require(path.join(root, "package.json")).version;

const sent = [];
let current = "";
globalThis.fetch = async (url, init) => {
  const body = JSON.parse(init.body);
  sent.push({ method: current, url: String(url), headers: init.headers, ...body });
  return new Response(JSON.stringify({ data: {} }), { status: 200 });
};

const options = {
  userId: "USER",
  jwt: "TOKEN",
  apiUrls: {
    courier: { rest: "https://rest.test", graphql: "https://rest.test/client/q" },
    inbox: { graphql: "https://inbox.test/inbox/q", webSocket: "wss://inbox.test/ws" },
  },
};
const client = new CourierClient(options);
// A client signed in for a tenant: the preferences operations name it (accountId).
const tenantClient = new CourierClient({ ...options, tenantId: "TENANT" });
const inbox = client.inbox;
const preferences = client.preferences;
const topic = {
  topicId: "TOPIC",
  status: "OPTED_OUT",
  hasCustomRouting: true,
  customRouting: ["email", "push"],
};
const calls = {
  getMessages: () => inbox.getMessages(),
  getMessagesFiltered: () =>
    inbox.getMessages({
      paginationLimit: 10,
      startCursor: "CURSOR",
      filter: { tags: ["TAG"], status: "read", archived: true, from: "2024-01-01T00:00:00.000Z" },
    }),
  getArchivedMessages: () => inbox.getArchivedMessages(),
  getUnreadCounts: () => inbox.getUnreadCounts({ all: {}, "tag-a": { tags: ["TAG"] } }),
  getUnreadMessageCount: () => inbox.getUnreadMessageCount(),
  click: () => inbox.click({ messageId: "MESSAGE", trackingId: "TRACKING" }),
  read: () => inbox.read({ messageId: "MESSAGE" }),
  unread: () => inbox.unread({ messageId: "MESSAGE" }),
  open: () => inbox.open({ messageId: "MESSAGE" }),
  batchOpen: () => inbox.batchOpen(["MESSAGE", "MESSAGE2"]),
  archive: () => inbox.archive({ messageId: "MESSAGE" }),
  unarchive: () => inbox.unarchive({ messageId: "MESSAGE" }),
  readAll: () => inbox.readAll(),
  archiveRead: () => inbox.archiveRead(),
  archiveAll: () => inbox.archiveAll(),
  getBrand: () => client.brands.getBrand({ brandId: "BRAND" }),
  getUserPreferences: () => preferences.getUserPreferences(),
  getUserPreferenceTopic: () => preferences.getUserPreferenceTopic({ topicId: "TOPIC" }),
  putUserPreferenceTopic: () => preferences.putUserPreferenceTopic(topic),
  putUserPreferenceTopicWithSchedule: () =>
    preferences.putUserPreferenceTopic({ ...topic, digestSchedule: "SCHEDULE" }),
  putUserPreferenceTopicDefaultRouting: () =>
    preferences.putUserPreferenceTopic({ ...topic, status: "OPTED_IN", hasCustomRouting: false, customRouting: [] }),
  getPreferencePage: () => preferences.getPreferencePage(),
  getPreferencePageWithBrand: () => preferences.getPreferencePage({ brandId: "BRAND" }),
  getDigestSchedules: () => preferences.getDigestSchedules({ topicId: "TOPIC" }),
  getTenantUserPreferences: () => tenantClient.preferences.getUserPreferences(),
  getTenantUserPreferenceTopic: () => tenantClient.preferences.getUserPreferenceTopic({ topicId: "TOPIC" }),
  putTenantUserPreferenceTopic: () => tenantClient.preferences.putUserPreferenceTopic(topic),
  getTenantPreferencePage: () => tenantClient.preferences.getPreferencePage(),
};
(async () => {
  for (const [name, call] of Object.entries(calls)) {
    current = name;
    // The recorder answers no data: the calls that expect some throw once their request is sent.
    await call().catch(() => null);
  }
  for (const request of sent) {
    delete request.headers["x-courier-ua"]; // carries a random connection id
    delete request.headers["x-courier-client-source-id"];
  }
  console.log(JSON.stringify({ package: "@trycourier/courier-js", version, requests: sent }, null, 2));
})();
