#!/usr/bin/env node
// A Live Stream workflow with Google's Node client (@google-cloud/livestream, pinned in
// package.json / package-lock.json) over REST (`fallback: true`: HTTP/1.1 + JSON) against the
// emulator, with no credentials:
//
//   livestream emulator --port 0 --lro-delay 500ms &   # prints LIVESTREAM_EMULATOR_HOST
//   LIVESTREAM_EMULATOR_HOST=127.0.0.1:PORT node benches/compat/node/workflow.js
//
// `benches/compat/run.sh node` does all of it (npm ci, emulator, workflow). Prints one
// `ok: ...` line per step and exits non-zero on the first failure.
'use strict';
const livestream = require('@google-cloud/livestream');
const {LivestreamServiceClient} = livestream.v1;
const {StreamingState} = livestream.protos.google.cloud.video.livestream.v1.Channel;

const hostPort = process.env.LIVESTREAM_EMULATOR_HOST;
if (!hostPort) {
  console.error('FAILED: LIVESTREAM_EMULATOR_HOST is not set');
  process.exit(2);
}
const [host, port] = hostPort.split(':');

// No credentials: google-gax's fallback stub only calls `getRequestHeaders()` on the auth
// client (a plain object is enough; nothing reaches a metadata server or a token endpoint).
const auth = {getRequestHeaders: async () => ({})};
const client = new LivestreamServiceClient({
  fallback: true,
  apiEndpoint: host,
  port: Number(port),
  protocol: 'http',
  auth,
});

const project = 'my-project';
const location = 'us-central1';
const parent = `projects/${project}/locations/${location}`;

function check(condition, what) {
  if (!condition) throw new Error(`FAILED: ${what}`);
  console.log(`ok: ${what}`);
}

async function expectError(promise, code, what) {
  try {
    await promise;
  } catch (e) {
    if (process.env.DEBUG_ERRORS) console.error(e);
    check(e.code === code, `${what} (code ${e.code}: ${e.message})`);
    return e;
  }
  throw new Error(`FAILED: ${what}: no error`);
}

// An enum field's name: LRO results are decoded protobuf.js messages (enums as numbers, the
// client asks for `enum-encoding=int`); unary results may carry either form.
const stateName = (s) => (typeof s === 'number' ? StreamingState[s] : s);

const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;

async function main() {
  // Inputs.
  const [inputOp] = await client.createInput({
    parent,
    inputId: 'my-input',
    input: {type: 'RTMP_PUSH'},
  });
  const [input] = await inputOp.promise();
  check(input.uri.startsWith('rtmp://'), `input created (LRO) with uri ${input.uri}`);

  // Channels.
  const channel = {
    inputAttachments: [{key: 'my-input', input: input.name}],
    output: {uri: 'gs://my-bucket/outputs/'},
    elementaryStreams: [
      {
        key: 'es_video',
        videoStream: {
          h264: {profile: 'high', widthPixels: 1280, heightPixels: 720, bitrateBps: 3000000, frameRate: 30},
        },
      },
      {key: 'es_audio', audioStream: {codec: 'aac', channelCount: 2, bitrateBps: 160000}},
    ],
    muxStreams: [
      {key: 'mux_video', elementaryStreams: ['es_video'], segmentSettings: {segmentDuration: {seconds: 2}}},
      {key: 'mux_audio', elementaryStreams: ['es_audio'], segmentSettings: {segmentDuration: {seconds: 2}}},
    ],
    manifests: [
      {fileName: 'manifest.m3u8', type: 'HLS', muxStreams: ['mux_video', 'mux_audio'], maxSegmentCount: 5, key: 'manifest_hls'},
    ],
  };
  const [channelOp] = await client.createChannel({parent, channelId: 'my-channel', channel});
  const [created] = await channelOp.promise();
  check(stateName(created.streamingState) === 'STOPPED', `channel created (LRO) ${created.name} STOPPED`);

  const [got] = await client.getChannel({name: created.name});
  check(got.name === created.name && got.elementaryStreams.length === 2, 'channel got back with its streams');

  // A second channel, so that the filter and the paging have something to do.
  const [otherOp] = await client.createChannel({parent, channelId: 'other-channel', channel});
  const [other] = await otherOp.promise();
  check(other.name.endsWith('/channels/other-channel'), 'second channel created (LRO)');

  // One page by hand (autoPaginate: false gives the next request and the raw response) ...
  const [page, nextRequest, raw] = await client.listChannels({parent, pageSize: 1}, {autoPaginate: false});
  check(page.length === 1 && raw.nextPageToken && nextRequest.pageToken === raw.nextPageToken,
    'first page of one channel, with a next_page_token');
  // ... and all of them through the async iterator (which never auto-paginates; saying so
  // keeps google-gax from warning about the default).
  const noAuto = {autoPaginate: false};
  const all = [];
  for await (const c of client.listChannelsAsync({parent, pageSize: 1}, noAuto)) all.push(c.name);
  check(all.length === 2 && all.includes(created.name) && all.includes(other.name),
    `channels listed through the async iterator, one per page (${all.length})`);
  const filtered = [];
  for await (const c of client.listChannelsAsync({parent, pageSize: 1, filter: `name="${created.name}"`}, noAuto)) {
    filtered.push(c.name);
  }
  check(filtered.length === 1 && filtered[0] === created.name, 'channels listed with a filter');

  const [updateOp] = await client.updateChannel({
    channel: {name: created.name, output: {uri: 'gs://my-bucket/other/'}},
    updateMask: {paths: ['output']},
  });
  const [updated] = await updateOp.promise();
  check(updated.output.uri === 'gs://my-bucket/other/' && updated.elementaryStreams.length === 2,
    'channel output updated through a mask (LRO), the rest kept');

  // Start, events, stop.
  const [startOp] = await client.startChannel({name: created.name});
  await startOp.promise();
  const [started] = await client.getChannel({name: created.name});
  check(stateName(started.streamingState) === 'AWAITING_INPUT', 'channel started (LRO): AWAITING_INPUT');

  const [event] = await client.createEvent({
    parent: created.name,
    eventId: 'ad-break',
    event: {adBreak: {duration: {seconds: 30}}, executeNow: true},
  });
  check(event.name.endsWith('/events/ad-break') && event.executionTime, 'event created with an execution time');
  const events = [];
  for await (const e of client.listEventsAsync({parent: created.name}, noAuto)) events.push(e.name);
  check(events.length === 1 && events[0] === event.name, 'events listed');
  await client.deleteEvent({name: event.name});
  await expectError(client.getEvent({name: event.name}), NOT_FOUND, 'event deleted');

  // FAILED_PRECONDITION is HTTP 400 in Google's mapping, and google-gax's REST transport
  // derives the error's code from the HTTP status alone (400 -> INVALID_ARGUMENT), not from
  // the body's `status`; the google.rpc.PreconditionFailure detail tells the two apart.
  const running = await expectError(client.deleteChannel({name: created.name}), INVALID_ARGUMENT,
    'a running channel cannot be deleted: HTTP 400');
  const detail = (running.statusDetails || [])[0];
  check(detail && detail.constructor.name === 'PreconditionFailure' && detail.violations.length > 0,
    `  ... with a google.rpc.PreconditionFailure (${detail && detail.violations[0].type})`);

  const [stopOp] = await client.stopChannel({name: created.name});
  await stopOp.promise();
  const [stopped] = await client.getChannel({name: created.name});
  check(stateName(stopped.streamingState) === 'STOPPED', 'channel stopped (LRO)');

  // Errors.
  const missing = `${parent}/channels/missing`;
  await expectError(client.getChannel({name: missing}), NOT_FOUND, 'missing channel is NOT_FOUND');

  // Mixins: Locations.
  const [loc] = await client.getLocation({name: parent});
  check(loc.locationId === location, `GetLocation through the mixin: ${loc.name}`);
  const locs = [];
  for await (const l of client.listLocationsAsync({name: `projects/${project}`}, noAuto)) locs.push(l.locationId);
  check(locs.includes(location), `ListLocations through the mixin (${locs.length} locations)`);

  // Mixins: Operations.
  const ops = [];
  for await (const o of client.listOperationsAsync({name: parent}, noAuto)) ops.push(o);
  check(ops.length >= 5 && ops.every((o) => o.done), `ListOperations through the mixin (${ops.length} done)`);
  const [op] = await client.getOperation({name: ops[0].name});
  check(op.name === ops[0].name && op.done, 'GetOperation through the mixin');
  check(client.operationsClient !== undefined, 'operationsClient exposed');
  const [opAgain] = await client.operationsClient.getOperation({name: channelOp.name});
  check(opAgain.done && opAgain.response, 'operationsClient.getOperation: done, with a response');
  const [decoded] = await client.checkCreateChannelProgress(channelOp.name).then((o) => o.promise());
  check(decoded.name === created.name, 'checkCreateChannelProgress decodes the finished LRO');
  // CancelOperation: a pending create (500 ms operations) is rolled back and ends CANCELLED;
  // the code comes from the operation's `error` (a google.rpc.Status), not from HTTP.
  const [cancelOp] = await client.createInput({parent, inputId: 'cancelled', input: {type: 'RTMP_PUSH'}});
  await client.cancelOperation({name: cancelOp.name});
  await expectError(cancelOp.promise(), 1, 'CancelOperation through the mixin: the LRO ends CANCELLED');
  await expectError(client.getInput({name: `${parent}/inputs/cancelled`}), NOT_FOUND, '  ... and its input was rolled back');
  await client.deleteOperation({name: ops[0].name});
  await expectError(client.getOperation({name: ops[0].name}), NOT_FOUND, 'DeleteOperation through the mixin');

  // Delete everything.
  for (const name of [created.name, other.name]) {
    const [deleteOp] = await client.deleteChannel({name});
    await deleteOp.promise();
  }
  await expectError(client.getChannel({name: created.name}), NOT_FOUND, 'channels deleted (LRO)');
  const [deleteInputOp] = await client.deleteInput({name: input.name});
  await deleteInputOp.promise();
  await expectError(client.getInput({name: input.name}), NOT_FOUND, 'input deleted (LRO)');

  await client.close();
  console.log('node workflow passed');
}

main().catch((e) => {
  console.error(e.message.startsWith('FAILED') ? e.message : `FAILED: ${e.stack || e}`);
  process.exit(1);
});
