import { describeDataRollback } from './data-rollback-cases.js';

describeDataRollback('sqlite');
