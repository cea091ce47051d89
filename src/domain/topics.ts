// Topic names and their keys, as in ARCHITECTURE.md. One place so producers and consumers agree.
export const TOPICS = {
  trades: 'trades', // key: symbol
  fills: 'fills', // key: user
  candles: 'candles', // key: symbol
  alerts: 'alerts', // key: symbol
  portfolioUpdates: 'portfolio-updates', // key: user
  deadletter: 'deadletter', // key: source topic
  alertRules: 'alert-rules', // key: rule id (JSON at this low-rate edge; empty value deletes)
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
