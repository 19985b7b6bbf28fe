import { idleLeadingTo } from '../../shared/IdleState.js';

export const Idle = idleLeadingTo('erasing');
