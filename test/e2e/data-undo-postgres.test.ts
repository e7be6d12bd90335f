import { describeDataUndo } from './data-undo-cases.js';

describeDataUndo('postgres');
