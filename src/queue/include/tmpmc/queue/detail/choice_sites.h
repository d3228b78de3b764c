// detail/choice_sites.h: the queue's choice points (see
// tmpmc/runtime/choice_point.h): one per shared access of the ring, by
// operation. The blocking protocol (queue_core.h) has none of its own: its
// shared accesses are the ring's and its wait lists' (the runtime's sites).
//
// Ids are stable (schedules and coverage reports name them) and never
// reused: a new site takes the next free id, up to 127.
#pragma once

#include <array>

#include "tmpmc/runtime/choice_point.h"

namespace tmpmc::detail::sites {

using runtime::ChoicePointSite;
using runtime::PointKind;

// One site per line, a table to read down: not reflowed.
// clang-format off
// try_push. Before its claim the push has changed nothing, so its re-reads
// are `between`: a fiber stopped there may be unwound.
inline constexpr ChoicePointSite kPushReadTail{64, PointKind::between, false, "ring.h: push reads the tail (load)"};
inline constexpr ChoicePointSite kPushReadStamp{65, PointKind::inner, false, "ring.h: push reads the slot's stamp (load)"};
inline constexpr ChoicePointSite kPushClaim{66, PointKind::inner, false, "ring.h: push claims the slot (tail CAS)"};
inline constexpr ChoicePointSite kPushReadHead{67, PointKind::inner, false, "ring.h: push meets last lap's value: full? (head load)"};
inline constexpr ChoicePointSite kPushWaitsForPop{68, PointKind::between, true, "ring.h: a pop claimed the slot but has not freed it: push spins (tail load)"};
inline constexpr ChoicePointSite kPushRereadTail{69, PointKind::between, true, "ring.h: push's tail is stale, or a push a lap behind is writing the slot: re-read (load)"};
inline constexpr ChoicePointSite kPushWriteValue{70, PointKind::inner, false, "ring.h: push writes the value into its slot"};
inline constexpr ChoicePointSite kPushPublish{71, PointKind::inner, false, "ring.h: push publishes the slot (stamp store)"};
// try_pop.
inline constexpr ChoicePointSite kPopReadHead{72, PointKind::between, false, "ring.h: pop reads the head (load)"};
inline constexpr ChoicePointSite kPopReadStamp{73, PointKind::inner, false, "ring.h: pop reads the slot's stamp (load)"};
inline constexpr ChoicePointSite kPopClaim{74, PointKind::inner, false, "ring.h: pop claims the slot (head CAS)"};
inline constexpr ChoicePointSite kPopReadTail{75, PointKind::inner, false, "ring.h: pop meets an unwritten slot: empty? (tail load)"};
inline constexpr ChoicePointSite kPopWaitsForPush{76, PointKind::between, true, "ring.h: a push claimed the slot but has not written it: pop spins (head load)"};
inline constexpr ChoicePointSite kPopRereadHead{77, PointKind::between, true, "ring.h: pop's head is stale, or a pop a lap behind is freeing the slot: re-read (load)"};
inline constexpr ChoicePointSite kPopReadValue{78, PointKind::inner, false, "ring.h: pop moves the value out of its slot"};
inline constexpr ChoicePointSite kPopFree{79, PointKind::inner, false, "ring.h: pop frees the slot for the next lap (stamp store)"};
// close and the observers. has_item_or_closed and has_room_or_closed are the
// park protocol's re-checks, made under a wait list's lock: inner.
inline constexpr ChoicePointSite kClose{80, PointKind::between, false, "ring.h: close marks the tail (fetch_or)"};
inline constexpr ChoicePointSite kClosedReadTail{81, PointKind::between, false, "ring.h: closed reads the tail (load)"};
inline constexpr ChoicePointSite kHasItemReadTail{82, PointKind::inner, false, "ring.h: a receiver's re-check reads the tail (load)"};
inline constexpr ChoicePointSite kHasItemReadHead{83, PointKind::inner, false, "ring.h: a receiver's re-check reads the head (load)"};
inline constexpr ChoicePointSite kHasRoomReadTail{84, PointKind::inner, false, "ring.h: a sender's re-check reads the tail (load)"};
inline constexpr ChoicePointSite kHasRoomReadHead{85, PointKind::inner, false, "ring.h: a sender's re-check reads the head (load)"};
inline constexpr ChoicePointSite kLenReadTail{86, PointKind::between, false, "ring.h: len reads the tail (load)"};
inline constexpr ChoicePointSite kLenReadHead{87, PointKind::inner, false, "ring.h: len reads the head (load)"};
inline constexpr ChoicePointSite kLenRecheckTail{88, PointKind::inner, false, "ring.h: len re-reads the tail (load)"};
// The batches (try_push_many, try_pop_many): their scan past the first slot
// and their claim of several slots; the rest are the single operations' sites.
inline constexpr ChoicePointSite kPushManyReadStamp{89, PointKind::inner, false, "ring.h: push_many reads a further slot's stamp: free too? (load)"};
inline constexpr ChoicePointSite kPushManyClaim{90, PointKind::inner, false, "ring.h: push_many claims its slots (tail CAS)"};
inline constexpr ChoicePointSite kPopManyReadStamp{91, PointKind::inner, false, "ring.h: pop_many reads a further slot's stamp: written too? (load)"};
inline constexpr ChoicePointSite kPopManyClaim{92, PointKind::inner, false, "ring.h: pop_many claims its slots (head CAS)"};
// Confinement (confinement.h): who may access the ring without claims, the
// upgrade when a second actor comes, and the confined operations' one point
// between reading the positions and touching the slots.
inline constexpr ChoicePointSite kConfineClaim{93, PointKind::between, false, "confinement.h: the first access claims the ring for its actor (owner CAS)"};
inline constexpr ChoicePointSite kConfineAnnounce{94, PointKind::between, false, "confinement.h: the owner announces an access (in_op store)"};
inline constexpr ChoicePointSite kConfineRecheck{95, PointKind::inner, false, "confinement.h: the owner re-reads the owner after announcing (load)"};
inline constexpr ChoicePointSite kConfineLeave{96, PointKind::inner, false, "confinement.h: the owner's access ends (in_op store)"};
inline constexpr ChoicePointSite kConfineUpgrade{97, PointKind::between, false, "confinement.h: another actor's access starts the upgrade (owner CAS)"};
inline constexpr ChoicePointSite kConfineUpgradeWaits{98, PointKind::inner, true, "confinement.h: the upgrade waits for the owner's access to end (in_op load)"};
inline constexpr ChoicePointSite kConfineShared{99, PointKind::inner, false, "confinement.h: the upgrade marks the ring shared for good (owner store)"};
inline constexpr ChoicePointSite kConfineWaitsForUpgrade{100, PointKind::between, true, "confinement.h: an access waits for another's upgrade to finish (owner load)"};
inline constexpr ChoicePointSite kConfinedPushWrite{101, PointKind::inner, false, "ring.h: a confined push writes its slots"};
inline constexpr ChoicePointSite kConfinedPopRead{102, PointKind::inner, false, "ring.h: a confined pop reads its slots"};

// clang-format on

// queue_choice_points(): every site above, in id order.
inline constexpr std::array<const ChoicePointSite*, 39> kQueueChoicePoints{&kPushReadTail,
                                                                           &kPushReadStamp,
                                                                           &kPushClaim,
                                                                           &kPushReadHead,
                                                                           &kPushWaitsForPop,
                                                                           &kPushRereadTail,
                                                                           &kPushWriteValue,
                                                                           &kPushPublish,
                                                                           &kPopReadHead,
                                                                           &kPopReadStamp,
                                                                           &kPopClaim,
                                                                           &kPopReadTail,
                                                                           &kPopWaitsForPush,
                                                                           &kPopRereadHead,
                                                                           &kPopReadValue,
                                                                           &kPopFree,
                                                                           &kClose,
                                                                           &kClosedReadTail,
                                                                           &kHasItemReadTail,
                                                                           &kHasItemReadHead,
                                                                           &kHasRoomReadTail,
                                                                           &kHasRoomReadHead,
                                                                           &kLenReadTail,
                                                                           &kLenReadHead,
                                                                           &kLenRecheckTail,
                                                                           &kPushManyReadStamp,
                                                                           &kPushManyClaim,
                                                                           &kPopManyReadStamp,
                                                                           &kPopManyClaim,
                                                                           &kConfineClaim,
                                                                           &kConfineAnnounce,
                                                                           &kConfineRecheck,
                                                                           &kConfineLeave,
                                                                           &kConfineUpgrade,
                                                                           &kConfineUpgradeWaits,
                                                                           &kConfineShared,
                                                                           &kConfineWaitsForUpgrade,
                                                                           &kConfinedPushWrite,
                                                                           &kConfinedPopRead};

}  // namespace tmpmc::detail::sites
