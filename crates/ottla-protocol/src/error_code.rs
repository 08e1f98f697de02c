//! Kafka's error codes: every code of the Java client's `org.apache.kafka.common.protocol.Errors`
//! (up to 133, `SHARE_SESSION_LIMIT_REACHED`, Kafka 4.1), with its name, its description and
//! whether Java's exception for it is a `RetriableException`.
//!
//! Codes this table does not know keep their number: [`ErrorCode::name`] says `"UNKNOWN"` and
//! [`ErrorCode::is_retriable`] says `false`, as the Java client treats them.

use std::fmt;

/// A Kafka error code as it appears in responses (`0` is success).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ErrorCode(pub i16);

/// The name, description and retriability of one code.
#[derive(Debug)]
struct Entry {
    code: ErrorCode,
    name: &'static str,
    description: &'static str,
    retriable: bool,
}

impl Entry {
    const fn new(
        code: ErrorCode,
        name: &'static str,
        description: &'static str,
        retriable: bool,
    ) -> Self {
        Entry {
            code,
            name,
            description,
            retriable,
        }
    }
}

impl ErrorCode {
    /// -1: The server experienced an unexpected error when processing the request.
    pub const UNKNOWN_SERVER_ERROR: ErrorCode = ErrorCode(-1);
    /// 0: No error.
    pub const NONE: ErrorCode = ErrorCode(0);
    /// 1: The requested offset is not within the range of offsets maintained by the server.
    pub const OFFSET_OUT_OF_RANGE: ErrorCode = ErrorCode(1);
    /// 2: This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.
    pub const CORRUPT_MESSAGE: ErrorCode = ErrorCode(2);
    /// 3: This server does not host this topic-partition.
    pub const UNKNOWN_TOPIC_OR_PARTITION: ErrorCode = ErrorCode(3);
    /// 4: The requested fetch size is invalid.
    pub const INVALID_FETCH_SIZE: ErrorCode = ErrorCode(4);
    /// 5: There is no leader for this topic-partition as we are in the middle of a leadership election.
    pub const LEADER_NOT_AVAILABLE: ErrorCode = ErrorCode(5);
    /// 6: For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.
    pub const NOT_LEADER_OR_FOLLOWER: ErrorCode = ErrorCode(6);
    /// 7: The request timed out.
    pub const REQUEST_TIMED_OUT: ErrorCode = ErrorCode(7);
    /// 8: The broker is not available.
    pub const BROKER_NOT_AVAILABLE: ErrorCode = ErrorCode(8);
    /// 9: The replica is not available for the requested topic-partition. Produce/Fetch requests and other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if the broker is not a replica of the topic-partition.
    pub const REPLICA_NOT_AVAILABLE: ErrorCode = ErrorCode(9);
    /// 10: The request included a message larger than the max message size the server will accept.
    pub const MESSAGE_TOO_LARGE: ErrorCode = ErrorCode(10);
    /// 11: The controller moved to another broker.
    pub const STALE_CONTROLLER_EPOCH: ErrorCode = ErrorCode(11);
    /// 12: The metadata field of the offset request was too large.
    pub const OFFSET_METADATA_TOO_LARGE: ErrorCode = ErrorCode(12);
    /// 13: The server disconnected before a response was received.
    pub const NETWORK_EXCEPTION: ErrorCode = ErrorCode(13);
    /// 14: The coordinator is loading and hence can't process requests.
    pub const COORDINATOR_LOAD_IN_PROGRESS: ErrorCode = ErrorCode(14);
    /// 15: The coordinator is not available.
    pub const COORDINATOR_NOT_AVAILABLE: ErrorCode = ErrorCode(15);
    /// 16: This is not the correct coordinator.
    pub const NOT_COORDINATOR: ErrorCode = ErrorCode(16);
    /// 17: The request attempted to perform an operation on an invalid topic.
    pub const INVALID_TOPIC_EXCEPTION: ErrorCode = ErrorCode(17);
    /// 18: The request included message batch larger than the configured segment size on the server.
    pub const RECORD_LIST_TOO_LARGE: ErrorCode = ErrorCode(18);
    /// 19: Messages are rejected since there are fewer in-sync replicas than required.
    pub const NOT_ENOUGH_REPLICAS: ErrorCode = ErrorCode(19);
    /// 20: Messages are written to the log, but to fewer in-sync replicas than required.
    pub const NOT_ENOUGH_REPLICAS_AFTER_APPEND: ErrorCode = ErrorCode(20);
    /// 21: Produce request specified an invalid value for required acks.
    pub const INVALID_REQUIRED_ACKS: ErrorCode = ErrorCode(21);
    /// 22: Specified group generation id is not valid.
    pub const ILLEGAL_GENERATION: ErrorCode = ErrorCode(22);
    /// 23: The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list.
    pub const INCONSISTENT_GROUP_PROTOCOL: ErrorCode = ErrorCode(23);
    /// 24: The configured groupId is invalid.
    pub const INVALID_GROUP_ID: ErrorCode = ErrorCode(24);
    /// 25: The coordinator is not aware of this member.
    pub const UNKNOWN_MEMBER_ID: ErrorCode = ErrorCode(25);
    /// 26: The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms).
    pub const INVALID_SESSION_TIMEOUT: ErrorCode = ErrorCode(26);
    /// 27: The group is rebalancing, so a rejoin is needed.
    pub const REBALANCE_IN_PROGRESS: ErrorCode = ErrorCode(27);
    /// 28: The committing offset data size is not valid.
    pub const INVALID_COMMIT_OFFSET_SIZE: ErrorCode = ErrorCode(28);
    /// 29: Topic authorization failed.
    pub const TOPIC_AUTHORIZATION_FAILED: ErrorCode = ErrorCode(29);
    /// 30: Group authorization failed.
    pub const GROUP_AUTHORIZATION_FAILED: ErrorCode = ErrorCode(30);
    /// 31: Cluster authorization failed.
    pub const CLUSTER_AUTHORIZATION_FAILED: ErrorCode = ErrorCode(31);
    /// 32: The timestamp of the message is out of acceptable range.
    pub const INVALID_TIMESTAMP: ErrorCode = ErrorCode(32);
    /// 33: The broker does not support the requested SASL mechanism.
    pub const UNSUPPORTED_SASL_MECHANISM: ErrorCode = ErrorCode(33);
    /// 34: Request is not valid given the current SASL state.
    pub const ILLEGAL_SASL_STATE: ErrorCode = ErrorCode(34);
    /// 35: The version of API is not supported.
    pub const UNSUPPORTED_VERSION: ErrorCode = ErrorCode(35);
    /// 36: Topic with this name already exists.
    pub const TOPIC_ALREADY_EXISTS: ErrorCode = ErrorCode(36);
    /// 37: Number of partitions is below 1.
    pub const INVALID_PARTITIONS: ErrorCode = ErrorCode(37);
    /// 38: Replication factor is below 1 or larger than the number of available brokers.
    pub const INVALID_REPLICATION_FACTOR: ErrorCode = ErrorCode(38);
    /// 39: Replica assignment is invalid.
    pub const INVALID_REPLICA_ASSIGNMENT: ErrorCode = ErrorCode(39);
    /// 40: Configuration is invalid.
    pub const INVALID_CONFIG: ErrorCode = ErrorCode(40);
    /// 41: This is not the correct controller for this cluster.
    pub const NOT_CONTROLLER: ErrorCode = ErrorCode(41);
    /// 42: This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.
    pub const INVALID_REQUEST: ErrorCode = ErrorCode(42);
    /// 43: The message format version on the broker does not support the request.
    pub const UNSUPPORTED_FOR_MESSAGE_FORMAT: ErrorCode = ErrorCode(43);
    /// 44: Request parameters do not satisfy the configured policy.
    pub const POLICY_VIOLATION: ErrorCode = ErrorCode(44);
    /// 45: The broker received an out of order sequence number.
    pub const OUT_OF_ORDER_SEQUENCE_NUMBER: ErrorCode = ErrorCode(45);
    /// 46: The broker received a duplicate sequence number.
    pub const DUPLICATE_SEQUENCE_NUMBER: ErrorCode = ErrorCode(46);
    /// 47: Producer attempted to produce with an old epoch.
    pub const INVALID_PRODUCER_EPOCH: ErrorCode = ErrorCode(47);
    /// 48: The producer attempted a transactional operation in an invalid state.
    pub const INVALID_TXN_STATE: ErrorCode = ErrorCode(48);
    /// 49: The producer attempted to use a producer id which is not currently assigned to its transactional id.
    pub const INVALID_PRODUCER_ID_MAPPING: ErrorCode = ErrorCode(49);
    /// 50: The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms).
    pub const INVALID_TRANSACTION_TIMEOUT: ErrorCode = ErrorCode(50);
    /// 51: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.
    pub const CONCURRENT_TRANSACTIONS: ErrorCode = ErrorCode(51);
    /// 52: Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer.
    pub const TRANSACTION_COORDINATOR_FENCED: ErrorCode = ErrorCode(52);
    /// 53: Transactional Id authorization failed.
    pub const TRANSACTIONAL_ID_AUTHORIZATION_FAILED: ErrorCode = ErrorCode(53);
    /// 54: Security features are disabled.
    pub const SECURITY_DISABLED: ErrorCode = ErrorCode(54);
    /// 55: The broker did not attempt to execute this operation. This may happen for batched RPCs where some operations in the batch failed, causing the broker to respond without trying the rest.
    pub const OPERATION_NOT_ATTEMPTED: ErrorCode = ErrorCode(55);
    /// 56: Disk error when trying to access log file on the disk.
    pub const KAFKA_STORAGE_ERROR: ErrorCode = ErrorCode(56);
    /// 57: The user-specified log directory is not found in the broker config.
    pub const LOG_DIR_NOT_FOUND: ErrorCode = ErrorCode(57);
    /// 58: SASL Authentication failed.
    pub const SASL_AUTHENTICATION_FAILED: ErrorCode = ErrorCode(58);
    /// 59: This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception.
    pub const UNKNOWN_PRODUCER_ID: ErrorCode = ErrorCode(59);
    /// 60: A partition reassignment is in progress.
    pub const REASSIGNMENT_IN_PROGRESS: ErrorCode = ErrorCode(60);
    /// 61: Delegation Token feature is not enabled.
    pub const DELEGATION_TOKEN_AUTH_DISABLED: ErrorCode = ErrorCode(61);
    /// 62: Delegation Token is not found on server.
    pub const DELEGATION_TOKEN_NOT_FOUND: ErrorCode = ErrorCode(62);
    /// 63: Specified Principal is not valid Owner/Renewer.
    pub const DELEGATION_TOKEN_OWNER_MISMATCH: ErrorCode = ErrorCode(63);
    /// 64: Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels.
    pub const DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: ErrorCode = ErrorCode(64);
    /// 65: Delegation Token authorization failed.
    pub const DELEGATION_TOKEN_AUTHORIZATION_FAILED: ErrorCode = ErrorCode(65);
    /// 66: Delegation Token is expired.
    pub const DELEGATION_TOKEN_EXPIRED: ErrorCode = ErrorCode(66);
    /// 67: Supplied principalType is not supported.
    pub const INVALID_PRINCIPAL_TYPE: ErrorCode = ErrorCode(67);
    /// 68: The group is not empty.
    pub const NON_EMPTY_GROUP: ErrorCode = ErrorCode(68);
    /// 69: The group id does not exist.
    pub const GROUP_ID_NOT_FOUND: ErrorCode = ErrorCode(69);
    /// 70: The fetch session ID was not found.
    pub const FETCH_SESSION_ID_NOT_FOUND: ErrorCode = ErrorCode(70);
    /// 71: The fetch session epoch is invalid.
    pub const INVALID_FETCH_SESSION_EPOCH: ErrorCode = ErrorCode(71);
    /// 72: There is no listener on the leader broker that matches the listener on which metadata request was processed.
    pub const LISTENER_NOT_FOUND: ErrorCode = ErrorCode(72);
    /// 73: Topic deletion is disabled.
    pub const TOPIC_DELETION_DISABLED: ErrorCode = ErrorCode(73);
    /// 74: The leader epoch in the request is older than the epoch on the broker.
    pub const FENCED_LEADER_EPOCH: ErrorCode = ErrorCode(74);
    /// 75: The leader epoch in the request is newer than the epoch on the broker.
    pub const UNKNOWN_LEADER_EPOCH: ErrorCode = ErrorCode(75);
    /// 76: The requesting client does not support the compression type of given partition.
    pub const UNSUPPORTED_COMPRESSION_TYPE: ErrorCode = ErrorCode(76);
    /// 77: Broker epoch has changed.
    pub const STALE_BROKER_EPOCH: ErrorCode = ErrorCode(77);
    /// 78: The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.
    pub const OFFSET_NOT_AVAILABLE: ErrorCode = ErrorCode(78);
    /// 79: The group member needs to have a valid member id before actually entering a consumer group.
    pub const MEMBER_ID_REQUIRED: ErrorCode = ErrorCode(79);
    /// 80: The preferred leader was not available.
    pub const PREFERRED_LEADER_NOT_AVAILABLE: ErrorCode = ErrorCode(80);
    /// 81: The consumer group has reached its max size.
    pub const GROUP_MAX_SIZE_REACHED: ErrorCode = ErrorCode(81);
    /// 82: The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.
    pub const FENCED_INSTANCE_ID: ErrorCode = ErrorCode(82);
    /// 83: Eligible topic partition leaders are not available.
    pub const ELIGIBLE_LEADERS_NOT_AVAILABLE: ErrorCode = ErrorCode(83);
    /// 84: Leader election not needed for topic partition.
    pub const ELECTION_NOT_NEEDED: ErrorCode = ErrorCode(84);
    /// 85: No partition reassignment is in progress.
    pub const NO_REASSIGNMENT_IN_PROGRESS: ErrorCode = ErrorCode(85);
    /// 86: Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.
    pub const GROUP_SUBSCRIBED_TO_TOPIC: ErrorCode = ErrorCode(86);
    /// 87: This record has failed the validation on broker and hence will be rejected.
    pub const INVALID_RECORD: ErrorCode = ErrorCode(87);
    /// 88: There are unstable offsets that need to be cleared.
    pub const UNSTABLE_OFFSET_COMMIT: ErrorCode = ErrorCode(88);
    /// 89: The throttling quota has been exceeded.
    pub const THROTTLING_QUOTA_EXCEEDED: ErrorCode = ErrorCode(89);
    /// 90: There is a newer producer with the same transactionalId which fences the current one.
    pub const PRODUCER_FENCED: ErrorCode = ErrorCode(90);
    /// 91: A request illegally referred to a resource that does not exist.
    pub const RESOURCE_NOT_FOUND: ErrorCode = ErrorCode(91);
    /// 92: A request illegally referred to the same resource twice.
    pub const DUPLICATE_RESOURCE: ErrorCode = ErrorCode(92);
    /// 93: Requested credential would not meet criteria for acceptability.
    pub const UNACCEPTABLE_CREDENTIAL: ErrorCode = ErrorCode(93);
    /// 94: Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters.
    pub const INCONSISTENT_VOTER_SET: ErrorCode = ErrorCode(94);
    /// 95: The given update version was invalid.
    pub const INVALID_UPDATE_VERSION: ErrorCode = ErrorCode(95);
    /// 96: Unable to update finalized features due to an unexpected server error.
    pub const FEATURE_UPDATE_FAILED: ErrorCode = ErrorCode(96);
    /// 97: Request principal deserialization failed during forwarding. This indicates an internal error on the broker cluster security setup.
    pub const PRINCIPAL_DESERIALIZATION_FAILURE: ErrorCode = ErrorCode(97);
    /// 98: Requested snapshot was not found.
    pub const SNAPSHOT_NOT_FOUND: ErrorCode = ErrorCode(98);
    /// 99: Requested position is not greater than or equal to zero, and less than the size of the snapshot.
    pub const POSITION_OUT_OF_RANGE: ErrorCode = ErrorCode(99);
    /// 100: This server does not host this topic ID.
    pub const UNKNOWN_TOPIC_ID: ErrorCode = ErrorCode(100);
    /// 101: This broker ID is already in use.
    pub const DUPLICATE_BROKER_REGISTRATION: ErrorCode = ErrorCode(101);
    /// 102: The given broker ID was not registered.
    pub const BROKER_ID_NOT_REGISTERED: ErrorCode = ErrorCode(102);
    /// 103: The log's topic ID did not match the topic ID in the request.
    pub const INCONSISTENT_TOPIC_ID: ErrorCode = ErrorCode(103);
    /// 104: The clusterId in the request does not match that found on the server.
    pub const INCONSISTENT_CLUSTER_ID: ErrorCode = ErrorCode(104);
    /// 105: The transactionalId could not be found.
    pub const TRANSACTIONAL_ID_NOT_FOUND: ErrorCode = ErrorCode(105);
    /// 106: The fetch session encountered inconsistent topic ID usage.
    pub const FETCH_SESSION_TOPIC_ID_ERROR: ErrorCode = ErrorCode(106);
    /// 107: The new ISR contains at least one ineligible replica.
    pub const INELIGIBLE_REPLICA: ErrorCode = ErrorCode(107);
    /// 108: The AlterPartition request successfully updated the partition state but the leader has changed.
    pub const NEW_LEADER_ELECTED: ErrorCode = ErrorCode(108);
    /// 109: The requested offset is moved to tiered storage.
    pub const OFFSET_MOVED_TO_TIERED_STORAGE: ErrorCode = ErrorCode(109);
    /// 110: The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin.
    pub const FENCED_MEMBER_EPOCH: ErrorCode = ErrorCode(110);
    /// 111: The instance ID is still used by another member in the consumer group. That member must leave first.
    pub const UNRELEASED_INSTANCE_ID: ErrorCode = ErrorCode(111);
    /// 112: The assignor or its version range is not supported by the consumer group.
    pub const UNSUPPORTED_ASSIGNOR: ErrorCode = ErrorCode(112);
    /// 113: The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API.
    pub const STALE_MEMBER_EPOCH: ErrorCode = ErrorCode(113);
    /// 114: The request was sent to an endpoint of the wrong type.
    pub const MISMATCHED_ENDPOINT_TYPE: ErrorCode = ErrorCode(114);
    /// 115: This endpoint type is not supported yet.
    pub const UNSUPPORTED_ENDPOINT_TYPE: ErrorCode = ErrorCode(115);
    /// 116: This controller ID is not known.
    pub const UNKNOWN_CONTROLLER_ID: ErrorCode = ErrorCode(116);
    /// 117: Client sent a push telemetry request with an invalid or outdated subscription ID.
    pub const UNKNOWN_SUBSCRIPTION_ID: ErrorCode = ErrorCode(117);
    /// 118: Client sent a push telemetry request larger than the maximum size the broker will accept.
    pub const TELEMETRY_TOO_LARGE: ErrorCode = ErrorCode(118);
    /// 119: The controller has considered the broker registration to be invalid.
    pub const INVALID_REGISTRATION: ErrorCode = ErrorCode(119);
    /// 120: The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.
    pub const TRANSACTION_ABORTABLE: ErrorCode = ErrorCode(120);
    /// 121: The record state is invalid. The acknowledgement of delivery could not be completed.
    pub const INVALID_RECORD_STATE: ErrorCode = ErrorCode(121);
    /// 122: The share session was not found.
    pub const SHARE_SESSION_NOT_FOUND: ErrorCode = ErrorCode(122);
    /// 123: The share session epoch is invalid.
    pub const INVALID_SHARE_SESSION_EPOCH: ErrorCode = ErrorCode(123);
    /// 124: The share coordinator rejected the request because the share-group state epoch did not match.
    pub const FENCED_STATE_EPOCH: ErrorCode = ErrorCode(124);
    /// 125: The voter key doesn't match the receiving replica's key.
    pub const INVALID_VOTER_KEY: ErrorCode = ErrorCode(125);
    /// 126: The voter is already part of the set of voters.
    pub const DUPLICATE_VOTER: ErrorCode = ErrorCode(126);
    /// 127: The voter is not part of the set of voters.
    pub const VOTER_NOT_FOUND: ErrorCode = ErrorCode(127);
    /// 128: The regular expression is not valid.
    pub const INVALID_REGULAR_EXPRESSION: ErrorCode = ErrorCode(128);
    /// 129: Client metadata is stale. The client should rebootstrap to obtain new metadata.
    pub const REBOOTSTRAP_REQUIRED: ErrorCode = ErrorCode(129);
    /// 130: The supplied topology is invalid.
    pub const STREAMS_INVALID_TOPOLOGY: ErrorCode = ErrorCode(130);
    /// 131: The supplied topology epoch is invalid.
    pub const STREAMS_INVALID_TOPOLOGY_EPOCH: ErrorCode = ErrorCode(131);
    /// 132: The supplied topology epoch is outdated.
    pub const STREAMS_TOPOLOGY_FENCED: ErrorCode = ErrorCode(132);
    /// 133: The limit of share sessions has been reached.
    pub const SHARE_SESSION_LIMIT_REACHED: ErrorCode = ErrorCode(133);

    /// The numeric code.
    pub fn code(self) -> i16 {
        self.0
    }

    fn entry(self) -> Option<&'static Entry> {
        TABLE
            .binary_search_by_key(&self, |e| e.code)
            .ok()
            .and_then(|i| TABLE.get(i))
    }

    /// Whether this code is in the table.
    pub fn is_known(self) -> bool {
        self.entry().is_some()
    }

    /// Kafka's name for the code (`"NOT_LEADER_OR_FOLLOWER"`), or `"UNKNOWN"` for a code this
    /// table does not know.
    pub fn name(self) -> &'static str {
        self.entry().map_or("UNKNOWN", |e| e.name)
    }

    /// Kafka's description of the code, or a generic text for a code this table does not know.
    pub fn description(self) -> &'static str {
        self.entry()
            .map_or("The error code is not known to this client.", |e| {
                e.description
            })
    }

    /// Whether the Java client's exception for this code extends `RetriableException`: the same
    /// request may succeed if sent again (possibly after a metadata refresh). Unknown codes are
    /// not retriable.
    pub fn is_retriable(self) -> bool {
        self.entry().is_some_and(|e| e.retriable)
    }

    /// Whether this is `NONE` (0), success.
    pub fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// Whether this is an error (any code but `NONE`).
    pub fn is_err(self) -> bool {
        self.0 != 0
    }

    /// `Ok(())` for `NONE`, else `Err(self)`.
    pub fn into_result(self) -> Result<(), ErrorCode> {
        if self.is_ok() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// Whether the client's view of leaders or coordinators is probably stale, so metadata (or
    /// the coordinator) should be looked up again before retrying. UNKNOWN_LEADER_EPOCH is not
    /// one: the broker is behind the client (a leader just elected has not learnt its epoch
    /// yet), so the answer is to ask it again after a backoff, as the Java client does.
    pub fn needs_metadata_refresh(self) -> bool {
        matches!(
            self,
            ErrorCode::UNKNOWN_TOPIC_OR_PARTITION
                | ErrorCode::LEADER_NOT_AVAILABLE
                | ErrorCode::NOT_LEADER_OR_FOLLOWER
                | ErrorCode::FENCED_LEADER_EPOCH
                | ErrorCode::NOT_CONTROLLER
                | ErrorCode::NOT_COORDINATOR
                | ErrorCode::COORDINATOR_NOT_AVAILABLE
                | ErrorCode::KAFKA_STORAGE_ERROR
                | ErrorCode::REPLICA_NOT_AVAILABLE
                | ErrorCode::BROKER_NOT_AVAILABLE
                | ErrorCode::UNKNOWN_TOPIC_ID
                | ErrorCode::INCONSISTENT_TOPIC_ID
        )
    }

    /// Every code in the table, in ascending order.
    pub fn all() -> impl Iterator<Item = ErrorCode> {
        TABLE.iter().map(|e| e.code)
    }
}

impl From<i16> for ErrorCode {
    fn from(code: i16) -> Self {
        ErrorCode(code)
    }
}

impl From<ErrorCode> for i16 {
    fn from(code: ErrorCode) -> Self {
        code.0
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.name(), self.0, self.description())
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl std::error::Error for ErrorCode {}

/// The table, sorted by code (checked by a test; lookups binary-search it).
static TABLE: [Entry; 135] = [
    Entry::new(ErrorCode::UNKNOWN_SERVER_ERROR, "UNKNOWN_SERVER_ERROR", "The server experienced an unexpected error when processing the request.", false),
    Entry::new(ErrorCode::NONE, "NONE", "No error.", false),
    Entry::new(ErrorCode::OFFSET_OUT_OF_RANGE, "OFFSET_OUT_OF_RANGE", "The requested offset is not within the range of offsets maintained by the server.", false),
    Entry::new(ErrorCode::CORRUPT_MESSAGE, "CORRUPT_MESSAGE", "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.", true),
    Entry::new(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, "UNKNOWN_TOPIC_OR_PARTITION", "This server does not host this topic-partition.", true),
    Entry::new(ErrorCode::INVALID_FETCH_SIZE, "INVALID_FETCH_SIZE", "The requested fetch size is invalid.", false),
    Entry::new(ErrorCode::LEADER_NOT_AVAILABLE, "LEADER_NOT_AVAILABLE", "There is no leader for this topic-partition as we are in the middle of a leadership election.", true),
    Entry::new(ErrorCode::NOT_LEADER_OR_FOLLOWER, "NOT_LEADER_OR_FOLLOWER", "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.", true),
    Entry::new(ErrorCode::REQUEST_TIMED_OUT, "REQUEST_TIMED_OUT", "The request timed out.", true),
    Entry::new(ErrorCode::BROKER_NOT_AVAILABLE, "BROKER_NOT_AVAILABLE", "The broker is not available.", false),
    Entry::new(ErrorCode::REPLICA_NOT_AVAILABLE, "REPLICA_NOT_AVAILABLE", "The replica is not available for the requested topic-partition. Produce/Fetch requests and other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if the broker is not a replica of the topic-partition.", true),
    Entry::new(ErrorCode::MESSAGE_TOO_LARGE, "MESSAGE_TOO_LARGE", "The request included a message larger than the max message size the server will accept.", false),
    Entry::new(ErrorCode::STALE_CONTROLLER_EPOCH, "STALE_CONTROLLER_EPOCH", "The controller moved to another broker.", false),
    Entry::new(ErrorCode::OFFSET_METADATA_TOO_LARGE, "OFFSET_METADATA_TOO_LARGE", "The metadata field of the offset request was too large.", false),
    Entry::new(ErrorCode::NETWORK_EXCEPTION, "NETWORK_EXCEPTION", "The server disconnected before a response was received.", true),
    Entry::new(ErrorCode::COORDINATOR_LOAD_IN_PROGRESS, "COORDINATOR_LOAD_IN_PROGRESS", "The coordinator is loading and hence can't process requests.", true),
    Entry::new(ErrorCode::COORDINATOR_NOT_AVAILABLE, "COORDINATOR_NOT_AVAILABLE", "The coordinator is not available.", true),
    Entry::new(ErrorCode::NOT_COORDINATOR, "NOT_COORDINATOR", "This is not the correct coordinator.", true),
    Entry::new(ErrorCode::INVALID_TOPIC_EXCEPTION, "INVALID_TOPIC_EXCEPTION", "The request attempted to perform an operation on an invalid topic.", false),
    Entry::new(ErrorCode::RECORD_LIST_TOO_LARGE, "RECORD_LIST_TOO_LARGE", "The request included message batch larger than the configured segment size on the server.", false),
    Entry::new(ErrorCode::NOT_ENOUGH_REPLICAS, "NOT_ENOUGH_REPLICAS", "Messages are rejected since there are fewer in-sync replicas than required.", true),
    Entry::new(ErrorCode::NOT_ENOUGH_REPLICAS_AFTER_APPEND, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "Messages are written to the log, but to fewer in-sync replicas than required.", true),
    Entry::new(ErrorCode::INVALID_REQUIRED_ACKS, "INVALID_REQUIRED_ACKS", "Produce request specified an invalid value for required acks.", false),
    Entry::new(ErrorCode::ILLEGAL_GENERATION, "ILLEGAL_GENERATION", "Specified group generation id is not valid.", false),
    Entry::new(ErrorCode::INCONSISTENT_GROUP_PROTOCOL, "INCONSISTENT_GROUP_PROTOCOL", "The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list.", false),
    Entry::new(ErrorCode::INVALID_GROUP_ID, "INVALID_GROUP_ID", "The configured groupId is invalid.", false),
    Entry::new(ErrorCode::UNKNOWN_MEMBER_ID, "UNKNOWN_MEMBER_ID", "The coordinator is not aware of this member.", false),
    Entry::new(ErrorCode::INVALID_SESSION_TIMEOUT, "INVALID_SESSION_TIMEOUT", "The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms).", false),
    Entry::new(ErrorCode::REBALANCE_IN_PROGRESS, "REBALANCE_IN_PROGRESS", "The group is rebalancing, so a rejoin is needed.", false),
    Entry::new(ErrorCode::INVALID_COMMIT_OFFSET_SIZE, "INVALID_COMMIT_OFFSET_SIZE", "The committing offset data size is not valid.", false),
    Entry::new(ErrorCode::TOPIC_AUTHORIZATION_FAILED, "TOPIC_AUTHORIZATION_FAILED", "Topic authorization failed.", false),
    Entry::new(ErrorCode::GROUP_AUTHORIZATION_FAILED, "GROUP_AUTHORIZATION_FAILED", "Group authorization failed.", false),
    Entry::new(ErrorCode::CLUSTER_AUTHORIZATION_FAILED, "CLUSTER_AUTHORIZATION_FAILED", "Cluster authorization failed.", false),
    Entry::new(ErrorCode::INVALID_TIMESTAMP, "INVALID_TIMESTAMP", "The timestamp of the message is out of acceptable range.", false),
    Entry::new(ErrorCode::UNSUPPORTED_SASL_MECHANISM, "UNSUPPORTED_SASL_MECHANISM", "The broker does not support the requested SASL mechanism.", false),
    Entry::new(ErrorCode::ILLEGAL_SASL_STATE, "ILLEGAL_SASL_STATE", "Request is not valid given the current SASL state.", false),
    Entry::new(ErrorCode::UNSUPPORTED_VERSION, "UNSUPPORTED_VERSION", "The version of API is not supported.", false),
    Entry::new(ErrorCode::TOPIC_ALREADY_EXISTS, "TOPIC_ALREADY_EXISTS", "Topic with this name already exists.", false),
    Entry::new(ErrorCode::INVALID_PARTITIONS, "INVALID_PARTITIONS", "Number of partitions is below 1.", false),
    Entry::new(ErrorCode::INVALID_REPLICATION_FACTOR, "INVALID_REPLICATION_FACTOR", "Replication factor is below 1 or larger than the number of available brokers.", false),
    Entry::new(ErrorCode::INVALID_REPLICA_ASSIGNMENT, "INVALID_REPLICA_ASSIGNMENT", "Replica assignment is invalid.", false),
    Entry::new(ErrorCode::INVALID_CONFIG, "INVALID_CONFIG", "Configuration is invalid.", false),
    Entry::new(ErrorCode::NOT_CONTROLLER, "NOT_CONTROLLER", "This is not the correct controller for this cluster.", true),
    Entry::new(ErrorCode::INVALID_REQUEST, "INVALID_REQUEST", "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.", false),
    Entry::new(ErrorCode::UNSUPPORTED_FOR_MESSAGE_FORMAT, "UNSUPPORTED_FOR_MESSAGE_FORMAT", "The message format version on the broker does not support the request.", false),
    Entry::new(ErrorCode::POLICY_VIOLATION, "POLICY_VIOLATION", "Request parameters do not satisfy the configured policy.", false),
    Entry::new(ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER, "OUT_OF_ORDER_SEQUENCE_NUMBER", "The broker received an out of order sequence number.", false),
    Entry::new(ErrorCode::DUPLICATE_SEQUENCE_NUMBER, "DUPLICATE_SEQUENCE_NUMBER", "The broker received a duplicate sequence number.", false),
    Entry::new(ErrorCode::INVALID_PRODUCER_EPOCH, "INVALID_PRODUCER_EPOCH", "Producer attempted to produce with an old epoch.", false),
    Entry::new(ErrorCode::INVALID_TXN_STATE, "INVALID_TXN_STATE", "The producer attempted a transactional operation in an invalid state.", false),
    Entry::new(ErrorCode::INVALID_PRODUCER_ID_MAPPING, "INVALID_PRODUCER_ID_MAPPING", "The producer attempted to use a producer id which is not currently assigned to its transactional id.", false),
    Entry::new(ErrorCode::INVALID_TRANSACTION_TIMEOUT, "INVALID_TRANSACTION_TIMEOUT", "The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms).", false),
    Entry::new(ErrorCode::CONCURRENT_TRANSACTIONS, "CONCURRENT_TRANSACTIONS", "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing.", true),
    Entry::new(ErrorCode::TRANSACTION_COORDINATOR_FENCED, "TRANSACTION_COORDINATOR_FENCED", "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer.", false),
    Entry::new(ErrorCode::TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "Transactional Id authorization failed.", false),
    Entry::new(ErrorCode::SECURITY_DISABLED, "SECURITY_DISABLED", "Security features are disabled.", false),
    Entry::new(ErrorCode::OPERATION_NOT_ATTEMPTED, "OPERATION_NOT_ATTEMPTED", "The broker did not attempt to execute this operation. This may happen for batched RPCs where some operations in the batch failed, causing the broker to respond without trying the rest.", false),
    Entry::new(ErrorCode::KAFKA_STORAGE_ERROR, "KAFKA_STORAGE_ERROR", "Disk error when trying to access log file on the disk.", true),
    Entry::new(ErrorCode::LOG_DIR_NOT_FOUND, "LOG_DIR_NOT_FOUND", "The user-specified log directory is not found in the broker config.", false),
    Entry::new(ErrorCode::SASL_AUTHENTICATION_FAILED, "SASL_AUTHENTICATION_FAILED", "SASL Authentication failed.", false),
    Entry::new(ErrorCode::UNKNOWN_PRODUCER_ID, "UNKNOWN_PRODUCER_ID", "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception.", false),
    Entry::new(ErrorCode::REASSIGNMENT_IN_PROGRESS, "REASSIGNMENT_IN_PROGRESS", "A partition reassignment is in progress.", false),
    Entry::new(ErrorCode::DELEGATION_TOKEN_AUTH_DISABLED, "DELEGATION_TOKEN_AUTH_DISABLED", "Delegation Token feature is not enabled.", false),
    Entry::new(ErrorCode::DELEGATION_TOKEN_NOT_FOUND, "DELEGATION_TOKEN_NOT_FOUND", "Delegation Token is not found on server.", false),
    Entry::new(ErrorCode::DELEGATION_TOKEN_OWNER_MISMATCH, "DELEGATION_TOKEN_OWNER_MISMATCH", "Specified Principal is not valid Owner/Renewer.", false),
    Entry::new(ErrorCode::DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels.", false),
    Entry::new(ErrorCode::DELEGATION_TOKEN_AUTHORIZATION_FAILED, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", "Delegation Token authorization failed.", false),
    Entry::new(ErrorCode::DELEGATION_TOKEN_EXPIRED, "DELEGATION_TOKEN_EXPIRED", "Delegation Token is expired.", false),
    Entry::new(ErrorCode::INVALID_PRINCIPAL_TYPE, "INVALID_PRINCIPAL_TYPE", "Supplied principalType is not supported.", false),
    Entry::new(ErrorCode::NON_EMPTY_GROUP, "NON_EMPTY_GROUP", "The group is not empty.", false),
    Entry::new(ErrorCode::GROUP_ID_NOT_FOUND, "GROUP_ID_NOT_FOUND", "The group id does not exist.", false),
    Entry::new(ErrorCode::FETCH_SESSION_ID_NOT_FOUND, "FETCH_SESSION_ID_NOT_FOUND", "The fetch session ID was not found.", true),
    Entry::new(ErrorCode::INVALID_FETCH_SESSION_EPOCH, "INVALID_FETCH_SESSION_EPOCH", "The fetch session epoch is invalid.", true),
    Entry::new(ErrorCode::LISTENER_NOT_FOUND, "LISTENER_NOT_FOUND", "There is no listener on the leader broker that matches the listener on which metadata request was processed.", true),
    Entry::new(ErrorCode::TOPIC_DELETION_DISABLED, "TOPIC_DELETION_DISABLED", "Topic deletion is disabled.", false),
    Entry::new(ErrorCode::FENCED_LEADER_EPOCH, "FENCED_LEADER_EPOCH", "The leader epoch in the request is older than the epoch on the broker.", true),
    Entry::new(ErrorCode::UNKNOWN_LEADER_EPOCH, "UNKNOWN_LEADER_EPOCH", "The leader epoch in the request is newer than the epoch on the broker.", true),
    Entry::new(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE, "UNSUPPORTED_COMPRESSION_TYPE", "The requesting client does not support the compression type of given partition.", false),
    Entry::new(ErrorCode::STALE_BROKER_EPOCH, "STALE_BROKER_EPOCH", "Broker epoch has changed.", false),
    Entry::new(ErrorCode::OFFSET_NOT_AVAILABLE, "OFFSET_NOT_AVAILABLE", "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.", true),
    Entry::new(ErrorCode::MEMBER_ID_REQUIRED, "MEMBER_ID_REQUIRED", "The group member needs to have a valid member id before actually entering a consumer group.", false),
    Entry::new(ErrorCode::PREFERRED_LEADER_NOT_AVAILABLE, "PREFERRED_LEADER_NOT_AVAILABLE", "The preferred leader was not available.", true),
    Entry::new(ErrorCode::GROUP_MAX_SIZE_REACHED, "GROUP_MAX_SIZE_REACHED", "The consumer group has reached its max size.", false),
    Entry::new(ErrorCode::FENCED_INSTANCE_ID, "FENCED_INSTANCE_ID", "The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.", false),
    Entry::new(ErrorCode::ELIGIBLE_LEADERS_NOT_AVAILABLE, "ELIGIBLE_LEADERS_NOT_AVAILABLE", "Eligible topic partition leaders are not available.", true),
    Entry::new(ErrorCode::ELECTION_NOT_NEEDED, "ELECTION_NOT_NEEDED", "Leader election not needed for topic partition.", true),
    Entry::new(ErrorCode::NO_REASSIGNMENT_IN_PROGRESS, "NO_REASSIGNMENT_IN_PROGRESS", "No partition reassignment is in progress.", false),
    Entry::new(ErrorCode::GROUP_SUBSCRIBED_TO_TOPIC, "GROUP_SUBSCRIBED_TO_TOPIC", "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.", false),
    Entry::new(ErrorCode::INVALID_RECORD, "INVALID_RECORD", "This record has failed the validation on broker and hence will be rejected.", false),
    Entry::new(ErrorCode::UNSTABLE_OFFSET_COMMIT, "UNSTABLE_OFFSET_COMMIT", "There are unstable offsets that need to be cleared.", true),
    Entry::new(ErrorCode::THROTTLING_QUOTA_EXCEEDED, "THROTTLING_QUOTA_EXCEEDED", "The throttling quota has been exceeded.", true),
    Entry::new(ErrorCode::PRODUCER_FENCED, "PRODUCER_FENCED", "There is a newer producer with the same transactionalId which fences the current one.", false),
    Entry::new(ErrorCode::RESOURCE_NOT_FOUND, "RESOURCE_NOT_FOUND", "A request illegally referred to a resource that does not exist.", false),
    Entry::new(ErrorCode::DUPLICATE_RESOURCE, "DUPLICATE_RESOURCE", "A request illegally referred to the same resource twice.", false),
    Entry::new(ErrorCode::UNACCEPTABLE_CREDENTIAL, "UNACCEPTABLE_CREDENTIAL", "Requested credential would not meet criteria for acceptability.", false),
    Entry::new(ErrorCode::INCONSISTENT_VOTER_SET, "INCONSISTENT_VOTER_SET", "Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters.", false),
    Entry::new(ErrorCode::INVALID_UPDATE_VERSION, "INVALID_UPDATE_VERSION", "The given update version was invalid.", false),
    Entry::new(ErrorCode::FEATURE_UPDATE_FAILED, "FEATURE_UPDATE_FAILED", "Unable to update finalized features due to an unexpected server error.", false),
    Entry::new(ErrorCode::PRINCIPAL_DESERIALIZATION_FAILURE, "PRINCIPAL_DESERIALIZATION_FAILURE", "Request principal deserialization failed during forwarding. This indicates an internal error on the broker cluster security setup.", false),
    Entry::new(ErrorCode::SNAPSHOT_NOT_FOUND, "SNAPSHOT_NOT_FOUND", "Requested snapshot was not found.", false),
    Entry::new(ErrorCode::POSITION_OUT_OF_RANGE, "POSITION_OUT_OF_RANGE", "Requested position is not greater than or equal to zero, and less than the size of the snapshot.", false),
    Entry::new(ErrorCode::UNKNOWN_TOPIC_ID, "UNKNOWN_TOPIC_ID", "This server does not host this topic ID.", true),
    Entry::new(ErrorCode::DUPLICATE_BROKER_REGISTRATION, "DUPLICATE_BROKER_REGISTRATION", "This broker ID is already in use.", false),
    Entry::new(ErrorCode::BROKER_ID_NOT_REGISTERED, "BROKER_ID_NOT_REGISTERED", "The given broker ID was not registered.", false),
    Entry::new(ErrorCode::INCONSISTENT_TOPIC_ID, "INCONSISTENT_TOPIC_ID", "The log's topic ID did not match the topic ID in the request.", true),
    Entry::new(ErrorCode::INCONSISTENT_CLUSTER_ID, "INCONSISTENT_CLUSTER_ID", "The clusterId in the request does not match that found on the server.", false),
    Entry::new(ErrorCode::TRANSACTIONAL_ID_NOT_FOUND, "TRANSACTIONAL_ID_NOT_FOUND", "The transactionalId could not be found.", false),
    Entry::new(ErrorCode::FETCH_SESSION_TOPIC_ID_ERROR, "FETCH_SESSION_TOPIC_ID_ERROR", "The fetch session encountered inconsistent topic ID usage.", true),
    Entry::new(ErrorCode::INELIGIBLE_REPLICA, "INELIGIBLE_REPLICA", "The new ISR contains at least one ineligible replica.", false),
    Entry::new(ErrorCode::NEW_LEADER_ELECTED, "NEW_LEADER_ELECTED", "The AlterPartition request successfully updated the partition state but the leader has changed.", false),
    Entry::new(ErrorCode::OFFSET_MOVED_TO_TIERED_STORAGE, "OFFSET_MOVED_TO_TIERED_STORAGE", "The requested offset is moved to tiered storage.", false),
    Entry::new(ErrorCode::FENCED_MEMBER_EPOCH, "FENCED_MEMBER_EPOCH", "The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin.", false),
    Entry::new(ErrorCode::UNRELEASED_INSTANCE_ID, "UNRELEASED_INSTANCE_ID", "The instance ID is still used by another member in the consumer group. That member must leave first.", false),
    Entry::new(ErrorCode::UNSUPPORTED_ASSIGNOR, "UNSUPPORTED_ASSIGNOR", "The assignor or its version range is not supported by the consumer group.", false),
    Entry::new(ErrorCode::STALE_MEMBER_EPOCH, "STALE_MEMBER_EPOCH", "The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API.", false),
    Entry::new(ErrorCode::MISMATCHED_ENDPOINT_TYPE, "MISMATCHED_ENDPOINT_TYPE", "The request was sent to an endpoint of the wrong type.", false),
    Entry::new(ErrorCode::UNSUPPORTED_ENDPOINT_TYPE, "UNSUPPORTED_ENDPOINT_TYPE", "This endpoint type is not supported yet.", false),
    Entry::new(ErrorCode::UNKNOWN_CONTROLLER_ID, "UNKNOWN_CONTROLLER_ID", "This controller ID is not known.", false),
    Entry::new(ErrorCode::UNKNOWN_SUBSCRIPTION_ID, "UNKNOWN_SUBSCRIPTION_ID", "Client sent a push telemetry request with an invalid or outdated subscription ID.", false),
    Entry::new(ErrorCode::TELEMETRY_TOO_LARGE, "TELEMETRY_TOO_LARGE", "Client sent a push telemetry request larger than the maximum size the broker will accept.", false),
    Entry::new(ErrorCode::INVALID_REGISTRATION, "INVALID_REGISTRATION", "The controller has considered the broker registration to be invalid.", false),
    Entry::new(ErrorCode::TRANSACTION_ABORTABLE, "TRANSACTION_ABORTABLE", "The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID.", false),
    Entry::new(ErrorCode::INVALID_RECORD_STATE, "INVALID_RECORD_STATE", "The record state is invalid. The acknowledgement of delivery could not be completed.", false),
    Entry::new(ErrorCode::SHARE_SESSION_NOT_FOUND, "SHARE_SESSION_NOT_FOUND", "The share session was not found.", true),
    Entry::new(ErrorCode::INVALID_SHARE_SESSION_EPOCH, "INVALID_SHARE_SESSION_EPOCH", "The share session epoch is invalid.", true),
    Entry::new(ErrorCode::FENCED_STATE_EPOCH, "FENCED_STATE_EPOCH", "The share coordinator rejected the request because the share-group state epoch did not match.", false),
    Entry::new(ErrorCode::INVALID_VOTER_KEY, "INVALID_VOTER_KEY", "The voter key doesn't match the receiving replica's key.", false),
    Entry::new(ErrorCode::DUPLICATE_VOTER, "DUPLICATE_VOTER", "The voter is already part of the set of voters.", false),
    Entry::new(ErrorCode::VOTER_NOT_FOUND, "VOTER_NOT_FOUND", "The voter is not part of the set of voters.", false),
    Entry::new(ErrorCode::INVALID_REGULAR_EXPRESSION, "INVALID_REGULAR_EXPRESSION", "The regular expression is not valid.", false),
    Entry::new(ErrorCode::REBOOTSTRAP_REQUIRED, "REBOOTSTRAP_REQUIRED", "Client metadata is stale. The client should rebootstrap to obtain new metadata.", false),
    Entry::new(ErrorCode::STREAMS_INVALID_TOPOLOGY, "STREAMS_INVALID_TOPOLOGY", "The supplied topology is invalid.", false),
    Entry::new(ErrorCode::STREAMS_INVALID_TOPOLOGY_EPOCH, "STREAMS_INVALID_TOPOLOGY_EPOCH", "The supplied topology epoch is invalid.", false),
    Entry::new(ErrorCode::STREAMS_TOPOLOGY_FENCED, "STREAMS_TOPOLOGY_FENCED", "The supplied topology epoch is outdated.", false),
    Entry::new(ErrorCode::SHARE_SESSION_LIMIT_REACHED, "SHARE_SESSION_LIMIT_REACHED", "The limit of share sessions has been reached.", true),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_entries() {
        let e = ErrorCode::NOT_LEADER_OR_FOLLOWER;
        assert_eq!(e.code(), 6);
        assert_eq!(e.name(), "NOT_LEADER_OR_FOLLOWER");
        assert!(e.is_retriable());
        assert!(e.needs_metadata_refresh());
        assert!(e
            .description()
            .starts_with("For requests intended only for the leader"));

        assert_eq!(ErrorCode(-1).name(), "UNKNOWN_SERVER_ERROR");
        assert!(!ErrorCode::UNKNOWN_SERVER_ERROR.is_retriable());
        assert!(ErrorCode::NONE.is_ok());
        assert_eq!(ErrorCode::NONE.into_result(), Ok(()));
        assert_eq!(
            ErrorCode(3).into_result(),
            Err(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION)
        );
        assert_eq!(ErrorCode(1).name(), "OFFSET_OUT_OF_RANGE");
        assert!(!ErrorCode(1).is_retriable());
        assert!(
            ErrorCode(2).is_retriable(),
            "CorruptRecordException is retriable"
        );
        assert!(
            !ErrorCode(8).is_retriable(),
            "BrokerNotAvailableException is not"
        );
        assert!(ErrorCode(8).needs_metadata_refresh());
        assert!(
            !ErrorCode(27).is_retriable(),
            "RebalanceInProgressException is not"
        );
        assert!(
            !ErrorCode(90).is_retriable(),
            "ProducerFencedException is not"
        );
        assert!(
            ErrorCode(89).is_retriable(),
            "ThrottlingQuotaExceededException is"
        );
        assert_eq!(ErrorCode(100), ErrorCode::UNKNOWN_TOPIC_ID);
        assert_eq!(ErrorCode(133).name(), "SHARE_SESSION_LIMIT_REACHED");
        assert!(ErrorCode(133).is_retriable());
        assert!(!ErrorCode::TOPIC_AUTHORIZATION_FAILED.needs_metadata_refresh());
        // Retriable, but the broker is the one behind: no metadata refresh.
        assert!(ErrorCode::UNKNOWN_LEADER_EPOCH.is_retriable());
        assert!(!ErrorCode::UNKNOWN_LEADER_EPOCH.needs_metadata_refresh());
    }

    #[test]
    fn display_and_debug() {
        assert_eq!(
            ErrorCode::REQUEST_TIMED_OUT.to_string(),
            "REQUEST_TIMED_OUT (7): The request timed out."
        );
        assert_eq!(
            format!("{:?}", ErrorCode(29)),
            "TOPIC_AUTHORIZATION_FAILED(29)"
        );
        assert_eq!(format!("{:?}", ErrorCode(9999)), "UNKNOWN(9999)");
    }

    #[test]
    fn table_sorted_unique_and_contiguous() {
        for pair in TABLE.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{:?} before {:?}",
                pair[0],
                pair[1]
            );
        }
        let mut names: Vec<_> = TABLE.iter().map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLE.len());
        // Kafka's codes run from -1 to the highest without gaps.
        let codes: Vec<i16> = ErrorCode::all().map(ErrorCode::code).collect();
        let expected: Vec<i16> = (-1..=133).collect();
        assert_eq!(codes, expected);
        for e in &TABLE {
            assert_eq!(e.code.name(), e.name);
            assert!(!e.description.is_empty());
        }
    }

    #[test]
    fn unknown_code() {
        for code in [-2, 134, i16::MAX, i16::MIN] {
            let e = ErrorCode(code);
            assert!(!e.is_known());
            assert_eq!(e.name(), "UNKNOWN");
            assert!(!e.is_retriable());
            assert!(!e.needs_metadata_refresh());
            assert!(e.is_err());
            assert!(e.to_string().starts_with(&format!("UNKNOWN ({code}): ")));
        }
    }
}
