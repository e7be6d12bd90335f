import { describeDataRollback } from './data-rollback-cases.js';

describeDataRollback('mysql');
