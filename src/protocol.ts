/**
 * The wire protocol between controller and agent.
 *
 * The controller sends a Plan (embedded in the script it streams over SSH); the agent answers with
 * JSON Lines on stdout, one AgentEvent per line. Agent output is untrusted input: the controller
 * parses every line with parseAgentEvent, which bounds sizes and rejects anything malformed.
 *
 * One module in three files: the constants (src/protocol/constants.ts, also the source of the
 * portable agents' generated constants), the shapes (src/protocol/types.ts) and the validation
 * (src/protocol/parse.ts). Everything is bundled into the Node agent, so none of it may use more
 * than the language itself.
 */
export * from './protocol/constants.js';
export type * from './protocol/types.js';
export * from './protocol/parse.js';
export * from './protocol/stuck.js';
