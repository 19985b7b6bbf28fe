export const NO_HEATMAP_MESSAGE = 'This image has no anomaly map yet; run the model on it (Review) to propose a mask.';
export const EMPTY_PROPOSAL_MESSAGE = 'The proposal at this threshold adds no pixels; lower the threshold or pick another class.';
