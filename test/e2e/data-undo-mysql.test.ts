import { describeDataUndo } from './data-undo-cases.js';

describeDataUndo('mysql');
