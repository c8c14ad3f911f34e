// Drives the engine with the official TypeScript SDK (@camunda8/orchestration-cluster-api 9.x).
//
// Run by tests/engine/test_official_ts_sdk.py: node drive.cjs <sdk-folder> <bpmn-folder>, with
// CAMUNDA_REST_ADDRESS pointing at the engine. Validation is the SDK's strictest
// (CAMUNDA_SDK_VALIDATION=fanatical: a response with a missing, mistyped or unknown field fails
// the call). Prints one JSON document of what it saw; exits 1 with the reason on any failure.
'use strict';

const path = require('node:path');
const { createRequire } = require('node:module');

const [sdkFolder, bpmnFolder] = process.argv.slice(2);
const sdk = createRequire(path.join(sdkFolder, 'package.json'))(
  '@camunda8/orchestration-cluster-api'
);

const NOW = { consistency: { waitUpToMs: 0 } };
const seen = {};

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}

async function until(read, done, what) {
  for (let i = 0; i < 600; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not within 30 s: ${what}`);
}

async function main() {
  const config = {
    CAMUNDA_REST_ADDRESS: process.env.CAMUNDA_REST_ADDRESS,
    CAMUNDA_AUTH_STRATEGY: 'NONE',
    CAMUNDA_SDK_VALIDATION: 'fanatical',
    CAMUNDA_SDK_LOG_LEVEL: 'error',
  };
  const camunda = sdk.createCamundaClient({ config });
  const topology = await camunda.getTopology();
  seen.gatewayVersion = topology.gatewayVersion;

  const deployed = await camunda.deployResourcesFromFiles([
    path.join(bpmnFolder, 'order.bpmn'),
    path.join(bpmnFolder, 'payment.bpmn'),
  ]);
  seen.deployed = deployed.processes.map((p) => p.processDefinitionId).sort();

  // The SDK's worker: completes small amounts, throws DECLINED for large ones, fails 13 once.
  let failedOnce = false;
  const worker = camunda.createJobWorker({
    jobType: 'charge',
    jobTimeoutMs: 30_000,
    pollTimeoutMs: 1_000,
    maxParallelJobs: 4,
    autoStart: true,
    jobHandler: async (job) => {
      const amount = job.variables.amount;
      if (amount >= 100) return job.error({ errorCode: 'DECLINED', errorMessage: 'no funds' });
      if (amount === 13 && !failedOnce) {
        failedOnce = true;
        return job.fail({ errorMessage: 'card expired', retries: 0 });
      }
      return job.complete({ paid: amount * 2 });
    },
  });

  try {
    const awaited = await camunda.createProcessInstance({
      processDefinitionId: 'order',
      variables: { amount: 21 },
      awaitCompletion: true,
    });
    seen.awaitedVariables = awaited.variables;

    const declined = await camunda.createProcessInstance({
      processDefinitionId: 'order',
      variables: { amount: 500 },
    });
    const state = (key) => camunda.getProcessInstance({ processInstanceKey: key }, NOW);
    const declinedEnd = await until(
      () => state(declined.processInstanceKey),
      (instance) => instance.state === 'COMPLETED',
      'the declined instance completes'
    );
    seen.declined = { state: declinedEnd.state, hasIncident: declinedEnd.hasIncident };

    const failing = await camunda.createProcessInstance({
      processDefinitionId: 'order',
      variables: { amount: 13 },
    });
    await until(
      () => state(failing.processInstanceKey),
      (instance) => instance.hasIncident,
      'the failing instance has an incident'
    );
    const incidents = await camunda.searchIncidents(
      { filter: { processInstanceKey: failing.processInstanceKey } },
      NOW
    );
    check(incidents.items.length === 1, 'one incident');
    const incident = incidents.items[0];
    seen.incident = { errorType: incident.errorType, errorMessage: incident.errorMessage };
    await camunda.updateJob({ jobKey: incident.jobKey, changeset: { retries: 1 } });
    await camunda.resolveIncident({ incidentKey: incident.incidentKey });
    const resolved = await until(
      () => state(failing.processInstanceKey),
      (instance) => instance.state === 'COMPLETED',
      'the resolved instance completes'
    );
    seen.resolved = { state: resolved.state, hasIncident: resolved.hasIncident };
    const byKey = await camunda.getIncident({ incidentKey: incident.incidentKey }, NOW);
    seen.incidentByKey = { state: byKey.state, jobKey: byKey.jobKey === incident.jobKey };
    const ofInstance = await camunda.searchProcessInstanceIncidents(
      { processInstanceKey: failing.processInstanceKey },
      NOW
    );
    const ofElement = await camunda.searchElementInstanceIncidents(
      { elementInstanceKey: incident.elementInstanceKey },
      NOW
    );
    seen.resolvedIncidents = [ofInstance, ofElement].map((found) =>
      found.items.map((item) => item.state)
    );

    // Messages: correlation to a waiting instance, and a buffered publication.
    const waiting = await camunda.createProcessInstance({
      processDefinitionId: 'payment',
      variables: { orderId: 'o-1' },
    });
    const correlated = await camunda.correlateMessage({ name: 'paid', correlationKey: 'o-1' });
    seen.correlatedToWaiting = correlated.processInstanceKey === waiting.processInstanceKey;
    await camunda.publishMessage({ name: 'paid', correlationKey: 'o-2', timeToLive: 60_000 });
    const buffered = await camunda.createProcessInstance({
      processDefinitionId: 'payment',
      variables: { orderId: 'o-2' },
    });
    seen.bufferedState = (await state(buffered.processInstanceKey)).state;

    // Search: jobs by state, instances sorted newest first and paged by offset.
    const completedJobs = await camunda.searchJobs({ filter: { state: 'COMPLETED' } }, NOW);
    seen.completedJobs = completedJobs.items.length;
    const newestFirst = await camunda.searchProcessInstances(
      {
        sort: [{ field: 'processInstanceKey', order: 'DESC' }],
        page: { from: 0, limit: 2 },
      },
      NOW
    );
    seen.newestFirst = newestFirst.items.map((item) => item.processInstanceKey);
    seen.newestExpected = [buffered.processInstanceKey, waiting.processInstanceKey];
    seen.totalInstances = newestFirst.page.totalItems;

    // A value outside an enum: the SDK refuses it itself; with its request validation off,
    // the engine refuses it as a cluster does (400), and the SDK reads the problem detail.
    const unchecked = sdk.createCamundaClient({
      config: { ...config, CAMUNDA_SDK_VALIDATION: 'req:none,res:fanatical' },
    });
    try {
      await unchecked.searchJobs({ filter: { state: 'FOO' } }, NOW);
      seen.badEnum = 'accepted';
    } catch (error) {
      seen.badEnum = { status: error.status, title: error.title ?? error.body?.title };
    }
    await tasksAndReads(camunda);
    await moreShapes(camunda);
    await theRest(
      camunda,
      sdk.createCamundaClient({ config: { ...config, CAMUNDA_SDK_VALIDATION: 'none' } })
    );
  } finally {
    worker.stop();
  }
  process.stdout.write(JSON.stringify(seen) + '\n');
}

// User tasks, incidents by key, element instances, variables, definitions, subscriptions, the
// clock, searches by variable, the call hierarchy and modification: each answer validated by
// the SDK, each effect checked by reading the engine back.
async function tasksAndReads(camunda) {
  await camunda.deployResourcesFromFiles([
    path.join(bpmnFolder, 'user-task.bpmn'),
    path.join(bpmnFolder, 'call-activity.bpmn'),
  ]);
  const started = await camunda.createProcessInstance({
    processDefinitionId: 'user-task',
    variables: { owner: 'ann', order: { total: 5 } },
  });
  const instanceKey = started.processInstanceKey;
  seen.userTaskInstance = instanceKey;
  const tasks = await camunda.searchUserTasks({ filter: { processInstanceKey: instanceKey } }, NOW);
  check(tasks.items.length === 1, 'one user task');
  const userTaskKey = tasks.items[0].userTaskKey;
  seen.userTaskKey = userTaskKey;
  const task = () => camunda.getUserTask({ userTaskKey }, NOW);
  seen.taskCreated = { assignee: (await task()).assignee, state: (await task()).state };
  await camunda.assignUserTask({ userTaskKey, assignee: 'bob', allowOverride: true });
  seen.taskAssigned = (await task()).assignee;
  await camunda.unassignUserTask({ userTaskKey });
  seen.taskUnassigned = (await task()).assignee ?? null;
  await camunda.updateUserTask({
    userTaskKey,
    changeset: {
      priority: 12,
      candidateGroups: ['sales'],
      dueDate: '2026-03-01T09:00:00.000Z',
      followUpDate: '2026-02-27T09:30:00Z',
    },
  });
  const updated = await task();
  seen.taskUpdated = { priority: updated.priority, candidateGroups: updated.candidateGroups };
  seen.taskDates = [updated.dueDate, updated.followUpDate, typeof updated.creationDate];
  const taskVariables = await camunda.searchUserTaskVariables({ userTaskKey }, NOW);
  seen.taskVariables = taskVariables.items.map((v) => [v.name, v.value]).sort();
  await camunda.completeUserTask({ userTaskKey, variables: { approved: true } });
  seen.taskCompleted = (await task()).state;

  // The instance now waits at `ship`: its element instances and variables read back.
  const elements = await camunda.searchElementInstances(
    { filter: { processInstanceKey: instanceKey }, sort: [{ field: 'elementInstanceKey' }] },
    NOW
  );
  seen.elements = elements.items.map((e) => [e.elementId, e.state]);
  const ship = elements.items.find((e) => e.elementId === 'ship');
  const shipRead = await camunda.getElementInstance(
    { elementInstanceKey: ship.elementInstanceKey },
    NOW
  );
  seen.shipElement = { type: shipRead.type, state: shipRead.state };
  const variables = await camunda.searchVariables(
    { filter: { processInstanceKey: instanceKey }, sort: [{ field: 'name' }] },
    NOW
  );
  seen.variables = variables.items.map((v) => [v.name, v.value]);
  const approved = variables.items.find((v) => v.name === 'orderApproved');
  seen.variable = (await camunda.getVariable({ variableKey: approved.variableKey }, NOW)).value;

  // Modification: terminate `ship`, activate `end`: the instance completes.
  await camunda.modifyProcessInstance({
    processInstanceKey: instanceKey,
    terminateInstructions: [{ elementId: 'ship' }],
    activateInstructions: [{ elementId: 'end' }],
  });
  const modified = await camunda.getProcessInstance({ processInstanceKey: instanceKey }, NOW);
  seen.modified = modified.state;

  // Process definitions: search, get, XML.
  const definitions = await camunda.searchProcessDefinitions(
    { filter: { processDefinitionId: 'user-task' } },
    NOW
  );
  check(definitions.items.length === 1, 'one user-task definition');
  const definitionKey = definitions.items[0].processDefinitionKey;
  const definition = await camunda.getProcessDefinition(
    { processDefinitionKey: definitionKey },
    NOW
  );
  seen.definition = { id: definition.processDefinitionId, version: definition.version };
  const xml = await camunda.getProcessDefinitionXml({ processDefinitionKey: definitionKey }, NOW);
  seen.xmlHasProcess = String(xml).includes('<bpmn:process id="user-task"');

  // Message subscriptions: the payment instance waiting for `paid` with o-9.
  const waiting = await camunda.createProcessInstance({
    processDefinitionId: 'payment',
    variables: { orderId: 'o-9' },
  });
  const subscriptions = await camunda.searchMessageSubscriptions(
    { filter: { processInstanceKey: waiting.processInstanceKey } },
    NOW
  );
  seen.subscriptions = subscriptions.items.map((s) => [
    s.messageName,
    s.correlationKey,
    s.messageSubscriptionState,
  ]);

  // Search by a variable, sorted.
  const byVariable = await camunda.searchProcessInstances(
    {
      filter: { variables: [{ name: 'orderId', value: '"o-9"' }] },
      sort: [{ field: 'startDate', order: 'DESC' }],
    },
    NOW
  );
  seen.byVariable = byVariable.items.map((i) => i.processInstanceKey);
  seen.byVariableExpected = [waiting.processInstanceKey];

  // The call hierarchy of a called instance: the root first.
  const parent = await camunda.createProcessInstance({ processDefinitionId: 'call-activity' });
  const children = await camunda.searchProcessInstances(
    { filter: { parentProcessInstanceKey: parent.processInstanceKey } },
    NOW
  );
  check(children.items.length === 1, 'one called instance');
  const child = children.items[0].processInstanceKey;
  const hierarchy = await camunda.getProcessInstanceCallHierarchy(
    { processInstanceKey: child },
    NOW
  );
  seen.hierarchy = hierarchy.map((h) => h.processInstanceKey);
  seen.hierarchyExpected = [parent.processInstanceKey, child];

  // The clock: pinned, seen by a new instance's start date, reset.
  await camunda.pinClock({ timestamp: 1_770_000_000_000 });
  const pinned = await camunda.createProcessInstance({
    processDefinitionId: 'payment',
    variables: { orderId: 'o-10' },
  });
  seen.pinnedStart = (
    await camunda.getProcessInstance({ processInstanceKey: pinned.processInstanceKey }, NOW)
  ).startDate;
  await camunda.resetClock();
  seen.callingInstance = parent.processInstanceKey;
}

// The remaining implemented operations, and the problem details of refused commands.
async function theRest(camunda, unvalidated) {
  seen.restInstance = null;
  const started = await camunda.createProcessInstance({
    processDefinitionId: 'user-task',
    variables: { owner: 'cid', order: { total: 7 }, note: 'x'.repeat(10_000) },
  });
  const processInstanceKey = started.processInstanceKey;
  seen.restInstance = processInstanceKey;
  seen.status = (await camunda.getStatus()) ?? null;
  seen.expression = (await camunda.evaluateExpression({ expression: '=1 + 2' })).result;
  const signal = await camunda.broadcastSignal({ signalName: 'nobody-listens' });
  seen.signalKey = /^[0-9]+$/.test(signal.signalKey);
  await camunda.createElementInstanceVariables({
    elementInstanceKey: processInstanceKey,
    variables: { set: 'over REST' },
  });
  const set = await camunda.searchVariables(
    { filter: { processInstanceKey, name: 'set' } },
    NOW
  );
  seen.setVariable = set.items.map((v) => v.value);
  const long = await camunda.searchVariables(
    { filter: { processInstanceKey, name: 'note' } },
    NOW
  );
  seen.truncated = long.items.map((v) => [v.isTruncated, v.value.length]);
  const full = await camunda.getVariable({ variableKey: long.items[0].variableKey }, NOW);
  seen.fullLength = full.value.length;
  const statistics = await camunda.getProcessInstanceStatistics({ processInstanceKey }, NOW);
  seen.instanceStatistics = statistics.items.map((i) => [i.elementId, i.active]);
  const definitionStatistics = await camunda.getProcessDefinitionStatistics(
    { processDefinitionKey: started.processDefinitionKey, filter: {} },
    NOW
  );
  seen.definitionStatistics = definitionStatistics.items
    .map((i) => [i.elementId, i.active, i.completed])
    .sort();
  const tasks = await camunda.searchUserTasks(
    { filter: { processInstanceKey, state: 'CREATED' }, sort: [{ field: 'creationDate' }] },
    NOW
  );
  const userTaskKey = tasks.items[0].userTaskKey;
  // Cursor paging forth and back, and advanced filters.
  const scoped = { filter: { processInstanceKey }, sort: [{ field: 'name' }] };
  const first = await camunda.searchVariables({ ...scoped, page: { limit: 2 } }, NOW);
  const next = await camunda.searchVariables(
    { ...scoped, page: { limit: 2, after: first.page.endCursor } },
    NOW
  );
  const back = await camunda.searchVariables(
    { ...scoped, page: { limit: 2, before: next.page.startCursor } },
    NOW
  );
  seen.cursorPages = [first, next, back].map((found) => found.items.map((v) => v.name));
  const advanced = await camunda.searchProcessInstances(
    {
      filter: {
        processDefinitionId: { $in: ['user-task', 'none'] },
        state: { $neq: 'COMPLETED' },
        processInstanceKey: { $in: [processInstanceKey] },
      },
    },
    NOW
  );
  seen.advanced = advanced.items.map((i) => i.processInstanceKey === processInstanceKey);
  const unassigned = await camunda.searchUserTasks(
    { filter: { assignee: { $like: 'c*' }, state: 'CREATED' }, sort: [{ field: 'priority' }] },
    NOW
  );
  seen.likeAssignee = unassigned.items.map((t) => t.assignee);
  // No forms: 204, as the spec allows; the SDK validates a 204 against the 200's FormResult
  // and refuses it (an SDK limitation), so these two are read without response validation.
  seen.form = await outcome(() => unvalidated.getUserTaskForm({ userTaskKey }, NOW));
  seen.startForm = await outcome(() =>
    unvalidated.getStartProcessForm({ processDefinitionKey: started.processDefinitionKey }, NOW)
  );
  seen.missingTask = await outcome(() =>
    camunda.getUserTask({ userTaskKey: '2251799813699999' }, NOW)
  );
  await camunda.completeUserTask({ userTaskKey });
  seen.completedTwice = await outcome(() => camunda.completeUserTask({ userTaskKey }));
  seen.missingIncident = await outcome(() =>
    camunda.resolveIncident({ incidentKey: '2251799813699999' })
  );
}

// Answers of other shapes: an expression incident, a multi-instance body and its inner
// instance, a sub-process with a message boundary event, then the boundary's message.
async function moreShapes(camunda) {
  await camunda.deployResourcesFromFiles(
    ['job-type-expression', 'multi-instance-user-task', 'message-boundary-sub-process'].map(
      (name) => path.join(bpmnFolder, `${name}.bpmn`)
    )
  );
  const start = (processDefinitionId, variables) =>
    camunda.createProcessInstance({ processDefinitionId, variables });
  const broken = (await start('job-type-expression', {})).processInstanceKey;
  const looped = (await start('multi-instance-user-task', { approvers: ['x', 'y'] }))
    .processInstanceKey;
  const bounded = (await start('message-boundary-sub-process', { jobId: 'j1' })).processInstanceKey;
  const filter = (processInstanceKey) => ({ filter: { processInstanceKey } });
  const incidents = await camunda.searchIncidents(filter(broken), NOW);
  seen.expressionIncident = incidents.items.map((i) => [i.errorType, i.elementId]);
  const shapes = {};
  for (const [name, key] of Object.entries({ broken, looped, bounded })) {
    const elements = await camunda.searchElementInstances(
      { ...filter(key), sort: [{ field: 'elementInstanceKey' }] },
      NOW
    );
    shapes[name] = elements.items.map((e) => [e.elementId, e.type, e.hasIncident]);
  }
  seen.shapes = shapes;
  const inner = await camunda.searchUserTasks(filter(looped), NOW);
  seen.innerTasks = inner.items.map((t) => t.assignee);
  const subscriptions = await camunda.searchMessageSubscriptions(filter(bounded), NOW);
  seen.boundarySubscriptions = subscriptions.items.map((s) => [s.elementId, s.messageName]);
  await camunda.correlateMessage({ name: 'abort', correlationKey: 'j1' });
  seen.bounded = bounded;
}

// What a call answers: `ok` (and the value) or its problem detail's status and title.
async function outcome(call) {
  try {
    const value = await call();
    return { ok: value === undefined ? null : value };
  } catch (error) {
    return { status: error.status, title: error.title ?? error.body?.title ?? String(error) };
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.stderr.write(`seen so far: ${JSON.stringify(seen)}\n`);
    process.exit(1);
  }
);
